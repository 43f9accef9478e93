using System.Text;
using System.Text.Json;

namespace Cluster.Router.Batch;

/// <summary>A request line of a batch input file that parsed: its index (0-based, blank lines skipped), custom_id and body JSON.</summary>
public sealed record BatchLine(int Index, int LineNumber, string CustomId, string Body);

/// <summary>A line that cannot run: it becomes an error-file entry; the rest of the batch goes on.</summary>
public sealed record BatchLineError(int Index, int LineNumber, string? CustomId, string Code, string Message);

public sealed record BatchInput(int Total, IReadOnlyList<BatchLine> Lines, IReadOnlyList<BatchLineError> Errors);

/// <summary>
/// Parses a batch input file (JSONL: <c>{"custom_id","method":"POST","url","body"}</c> per line). Each bad line (not
/// JSON, no or duplicate custom_id, another url or method, no body object, a streamed request) is an error naming
/// its line; only a file that is not UTF-8, or has no request or too many, fails as a whole (<see cref="BatchInputException"/>).
/// </summary>
public static class BatchInputParser
{
    public const int MaxCustomIdLength = 512;

    public static readonly string[] Endpoints = ["/v1/chat/completions", "/v1/completions"];

    public static BatchInput Parse(ReadOnlySpan<byte> content, string endpoint, int maxRequests, long maxBodyBytes)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            throw new BatchInputException("invalid_file", "The input file is not UTF-8 text: write it as UTF-8 JSONL, one request per line.");
        }

        var lines = new List<BatchLine>();
        var errors = new List<BatchLineError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (index == maxRequests)
            {
                throw new BatchInputException("too_many_requests",
                    $"The input file has more than {maxRequests} requests (Batch:MaxRequestsPerBatch): split it into several batches.");
            }

            var (ok, error) = ParseLine(line, index, lineNumber, endpoint, maxBodyBytes, seen);
            if (ok is not null)
            {
                lines.Add(ok);
            }
            else
            {
                errors.Add(error!);
            }

            index++;
        }

        if (index == 0)
        {
            throw new BatchInputException("empty_file", "The input file has no request lines.");
        }

        return new BatchInput(index, lines, errors);
    }

    private static (BatchLine?, BatchLineError?) ParseLine(string line, int index, int number, string endpoint, long maxBodyBytes, HashSet<string> seen)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            return Fail(index, number, null, "invalid_json", $"Line {number} is not valid JSON: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail(index, number, null, "invalid_json", $"Line {number} must be a JSON object with custom_id, method, url and body.");
            }

            string? customId = root.TryGetProperty("custom_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            if (string.IsNullOrEmpty(customId))
            {
                return Fail(index, number, null, "missing_custom_id", $"Line {number} has no custom_id: each request needs a non-empty string custom_id.");
            }

            if (customId.Length > MaxCustomIdLength)
            {
                return Fail(index, number, null, "invalid_custom_id", $"Line {number}: custom_id is {customId.Length} characters; at most {MaxCustomIdLength} are allowed.");
            }

            if (!seen.Add(customId))
            {
                return Fail(index, number, customId, "duplicate_custom_id",
                    $"Line {number}: custom_id '{customId}' is used by an earlier line; custom_id must be unique within a batch.");
            }

            if (root.TryGetProperty("method", out var method) && !(method.ValueKind == JsonValueKind.String && method.GetString() == "POST"))
            {
                return Fail(index, number, customId, "invalid_method", $"Line {number}: method must be \"POST\".");
            }

            var url = root.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            if (url != endpoint)
            {
                return Fail(index, number, customId, "invalid_url",
                    $"Line {number}: url is {(url is null ? "missing" : $"'{url}'")} but this batch's endpoint is '{endpoint}': every line must use the batch's endpoint.");
            }

            if (!root.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
            {
                return Fail(index, number, customId, "invalid_body", $"Line {number}: body must be a JSON object (the request for {endpoint}).");
            }

            var bodyText = body.GetRawText();
            if (Encoding.UTF8.GetByteCount(bodyText) > maxBodyBytes)
            {
                return Fail(index, number, customId, "request_too_large", $"Line {number}: body is larger than {maxBodyBytes} bytes (Router:MaxRequestBytes).");
            }

            if (body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
            {
                return Fail(index, number, customId, "invalid_body", $"Line {number}: stream is not supported in a batch: remove it or set it to false.");
            }

            return (new BatchLine(index, number, customId, bodyText), null);
        }
    }

    private static (BatchLine?, BatchLineError?) Fail(int index, int number, string? customId, string code, string message) =>
        (null, new BatchLineError(index, number, customId, code, message));
}

/// <summary>The whole input file is unusable (the batch fails with this error).</summary>
public sealed class BatchInputException(string code, string message) : Exception(message)
{
    public BatchInputException()
        : this("invalid_file", "invalid batch input")
    {
    }

    public BatchInputException(string message)
        : this("invalid_file", message)
    {
    }

    public BatchInputException(string message, Exception inner)
        : this("invalid_file", message + ": " + inner?.Message)
    {
    }

    public string Code { get; } = code;
}
