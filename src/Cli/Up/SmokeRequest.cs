using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Cluster.Cli.Up;

/// <summary>
/// One streamed chat request through the router's OpenAI API (<c>POST /v1/chat/completions</c>, <c>stream: true</c>):
/// what <c>cluster up --smoke</c> and <c>./cluster.sh demo</c> send to show the whole path answering.
/// </summary>
public static class SmokeRequest
{
    /// <summary>The outcome: the streamed text, chunk count, finish reason, or what went wrong.</summary>
    public sealed record Result(bool Succeeded, string Text, int Chunks, string? FinishReason, string? Error);

    /// <summary>Sends the request; <paramref name="onText"/> sees each text delta as it arrives.</summary>
    public static async Task<Result> SendAsync(Uri routerHttp, string model, string apiKey, string prompt, int maxTokens,
        Action<string> onText, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = routerHttp, Timeout = Timeout.InfiniteTimeSpan };
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model,
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = prompt } },
            ["max_tokens"] = maxTokens,
            ["stream"] = true,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (apiKey.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return new Result(false, "", 0, null, $"HTTP {(int)response.StatusCode}: {error}");
        }

        var text = new StringBuilder();
        var chunks = 0;
        string? finish = null;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            var data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                return new Result(chunks > 0 && finish is not null, text.ToString(), chunks, finish,
                    finish is null ? "the stream ended without a finish_reason" : null);
            }

            using var json = JsonDocument.Parse(data);
            if (json.RootElement.TryGetProperty("error", out var err))
            {
                return new Result(false, text.ToString(), chunks, finish, err.ToString());
            }

            foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
            {
                chunks++;
                if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 } piece)
                {
                    text.Append(piece);
                    onText(piece);
                }

                if (choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String)
                {
                    finish = reason.GetString();
                }
            }
        }

        return new Result(false, text.ToString(), chunks, finish, "the stream ended without data: [DONE]");
    }
}
