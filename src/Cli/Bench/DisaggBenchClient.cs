using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Cluster.Cli.Bench;

/// <summary>
/// One streamed <c>POST /v1/completions</c> (token-id prompt, <c>ignore_eos</c>, usage in the stream) timed from the
/// client's side: TTFT at the first choice chunk, end at the last, tokens from the usage chunk (else the choice chunks).
/// </summary>
public sealed class DisaggBenchClient(Uri routerHttp, string model, TimeSpan timeout) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 4096, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = routerHttp, Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>How one request went: HTTP status (0: no response), error (null: succeeded), times in ms, output tokens.</summary>
    /// <summary>One request's result; <see cref="Text"/> is the streamed output (greedy: comparable across configs).</summary>
    public sealed record Outcome(int Status, string? Error, double TtftMs, double TpotMs, double EndMs, int Tokens, string Text = "")
    {
        public bool Ok => Error is null;
    }

    public async Task<Outcome> CompleteAsync(int[] prompt, int maxTokens, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model, ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = 0, ["ignore_eos"] = true,
            ["stream"] = true, ["stream_options"] = new Dictionary<string, object> { ["include_usage"] = true },
        });
        var started = Stopwatch.GetTimestamp();
        double Now() => Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        int status = 0, chunks = 0, usageTokens = -1;
        double first = 0, last = 0;
        var text = new StringBuilder();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            status = (int)response.StatusCode;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var errorText = await response.Content.ReadAsStringAsync(cts.Token);
                return new Outcome(status, $"HTTP {status}: {Trim(errorText)}", 0, 0, Now(), 0);
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            while (await reader.ReadLineAsync(cts.Token) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                var data = line.AsSpan(6).Trim();
                if (data.SequenceEqual("[DONE]"))
                {
                    break;
                }

                using var json = JsonDocument.Parse(data.ToString());
                var root = json.RootElement;
                if (root.TryGetProperty("error", out var error))
                {
                    return new Outcome(status, $"stream error: {Trim(error.ToString())}", first, 0, Now(), chunks);
                }

                if (root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0)
                {
                    last = Now();
                    first = chunks++ == 0 ? last : first;
                    if (choices[0].TryGetProperty("text", out var piece) && piece.ValueKind == JsonValueKind.String) text.Append(piece.GetString());
                }

                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    usageTokens = usage.GetProperty("completion_tokens").GetInt32();
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Outcome(status, $"timed out after {timeout.TotalSeconds:F0} s", first, 0, Now(), chunks);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            return new Outcome(status, $"{e.GetType().Name}: {Trim(e.Message)}", first, 0, Now(), chunks);
        }

        var tokens = usageTokens >= 0 ? usageTokens : chunks;
        return chunks == 0
            ? new Outcome(status, "the stream ended without a token", 0, 0, Now(), 0)
            : new Outcome(status, null, first, tokens > 1 ? (last - first) / (tokens - 1) : 0, Now(), tokens, text.ToString());
    }

    public void Dispose() => _http.Dispose();

    private static string Trim(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
