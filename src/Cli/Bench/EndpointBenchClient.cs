using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cluster.Cli.Bench;

/// <summary>
/// Streamed OpenAI <c>POST /v1/completions</c> calls to any compatible endpoint, timed from the client's side: TTFT at
/// the first choice chunk, inter-token latency (ITL) between chunks, TPOT over the decode (end − first) / (tokens − 1),
/// tokens from the usage chunk (else one per chunk). The API key, if any, comes from the environment, never a flag.
/// </summary>
public sealed class EndpointBenchClient : IDisposable
{
    /// <summary>Environment variables read for a bearer key, in order.</summary>
    public static readonly string[] ApiKeyVariables = ["CLUSTER_API_KEY", "OPENAI_API_KEY"];

    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    public EndpointBenchClient(Uri endpoint, TimeSpan timeout, string? apiKey = null)
    {
        _timeout = timeout;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 4096, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = Root(endpoint), Timeout = Timeout.InfiniteTimeSpan,
        };
        apiKey ??= ApiKeyVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    /// <summary>How one request went: HTTP status (0: no response), error (null: succeeded), times in ms, tokens.</summary>
    public sealed record Outcome(int Status, string? Error, double TtftMs, double TpotMs, double EndMs, int Tokens, string Text = "", int PromptTokens = 0)
    {
        public bool Ok => Error is null;

        /// <summary>Gaps between consecutive streamed chunks, ms.</summary>
        public IReadOnlyList<double> ItlMs { get; init; } = [];
    }

    /// <summary>The endpoint's first served model (<c>GET /v1/models</c>), for runs that do not name one.</summary>
    public async Task<string> FirstModelAsync(CancellationToken ct)
    {
        using var response = await _http.GetAsync("v1/models", ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {_http.BaseAddress}v1/models answered {(int)response.StatusCode}: {Trim(text)} (name the model with --served-model).");
        }

        using var json = JsonDocument.Parse(text);
        var data = json.RootElement.GetProperty("data");
        return data.GetArrayLength() > 0 ? data[0].GetProperty("id").GetString()! : throw new InvalidOperationException("the endpoint lists no model (name one with --served-model).");
    }

    /// <summary>One streamed completion; <paramref name="prompt"/> is a string or an array of token ids.</summary>
    public async Task<Outcome> CompleteAsync(string model, JsonNode prompt, int maxTokens, bool ignoreEos, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_timeout);
        var body = new JsonObject
        {
            ["model"] = model, ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = 0,
            ["stream"] = true, ["stream_options"] = new JsonObject { ["include_usage"] = true },
        };
        if (ignoreEos)
        {
            body["ignore_eos"] = true;
        }

        var started = Stopwatch.GetTimestamp();
        double Now() => Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        int status = 0, chunks = 0, usageTokens = -1, promptTokens = 0;
        double first = 0, last = 0;
        var text = new StringBuilder();
        var itl = new List<double>();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
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
                if (!line.StartsWith("data:", StringComparison.Ordinal))
                {
                    continue;
                }

                var data = line.AsSpan(5).Trim();
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
                    var now = Now();
                    if (chunks++ == 0) first = now;
                    else itl.Add(now - last);
                    last = now;
                    if (choices[0].TryGetProperty("text", out var piece) && piece.ValueKind == JsonValueKind.String) text.Append(piece.GetString());
                }

                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    usageTokens = usage.GetProperty("completion_tokens").GetInt32();
                    promptTokens = usage.TryGetProperty("prompt_tokens", out var p) ? p.GetInt32() : 0;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Outcome(status, $"timed out after {_timeout.TotalSeconds:F0} s", first, 0, Now(), chunks);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new Outcome(status, $"{e.GetType().Name}: {Trim(e.Message)}", first, 0, Now(), chunks);
        }

        var tokens = usageTokens >= 0 ? usageTokens : chunks;
        return chunks == 0
            ? new Outcome(status, "the stream ended without a token", 0, 0, Now(), 0)
            : new Outcome(status, null, first, tokens > 1 ? (last - first) / (tokens - 1) : 0, Now(), tokens, text.ToString(), promptTokens) { ItlMs = itl };
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The server root: <c>http://host:port/</c> from either that or <c>…/v1</c>.</summary>
    internal static Uri Root(Uri endpoint)
    {
        var path = endpoint.AbsolutePath.TrimEnd('/');
        path = path.EndsWith("/v1", StringComparison.Ordinal) ? path[..^3] : path;
        return new Uri(endpoint, path + "/");
    }

    private static string Trim(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
