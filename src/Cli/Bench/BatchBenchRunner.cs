using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Cli.Bench;

/// <summary>One arm of <c>cluster bench batch</c> on a fresh in-process cluster.</summary>
internal static class BatchBenchRunner
{
    public sealed record Arm(string Name, int Requests, int Failed, TimeSpan Wall, long PromptTokens, long CachedTokens, long OutputTokens)
    {
        public double RequestsPerSecond => Requests / Wall.TotalSeconds;

        public double OutputTokensPerSecond => OutputTokens / Wall.TotalSeconds;

        public double PrefixHitRate => PromptTokens == 0 ? 0 : (double)CachedTokens / PromptTokens;
    }

    public sealed record Settings(string ModelPath, string Device, int Prefill, int Decode, int PrefillBlocks, int MaxTokens, int Concurrency)
    {
        /// <summary><c>--prefill-devices</c> (empty: <see cref="Device"/>).</summary>
        public IReadOnlyList<string> PrefillDevices { get; init; } = [];

        /// <summary><c>--decode-devices</c> (empty: <see cref="Device"/>).</summary>
        public IReadOnlyList<string> DecodeDevices { get; init; } = [];
    }

    /// <summary>Starts a cluster whose batch store is a fresh folder; the caller disposes it.</summary>
    public static Task<InProcessCluster> StartAsync(Settings s, CancellationToken ct)
    {
        var settings = new Dictionary<string, string>
        {
            ["Batch:StorageDirectory"] = Directory.CreateTempSubdirectory("cluster-bench-batch-").FullName,
            ["Batch:MaxConcurrency"] = s.Concurrency.ToString(CultureInfo.InvariantCulture),
        };
        var spec = new ClusterSpec
        {
            ModelPath = s.ModelPath, RouterGrpcPort = 0, RouterHttpPort = 0, PrefillWorkers = s.Prefill, DecodeWorkers = s.Decode, Device = s.Device,
            PrefillDevices = s.PrefillDevices, DecodeDevices = s.DecodeDevices, Settings = settings,
            PrefillSettings = s.PrefillBlocks > 0
                ? new Dictionary<string, string> { ["KvCache:NumBlocks"] = s.PrefillBlocks.ToString(CultureInfo.InvariantCulture) }
                : new Dictionary<string, string>(),
        };
        return InProcessCluster.StartAsync(spec, TimeSpan.FromSeconds(180), quiet: true, ct);
    }

    /// <summary>The baseline: the same requests through <c>/v1/completions</c> in file order, <see cref="Settings.Concurrency"/> at a time.</summary>
    public static async Task<Arm> OnlineAsync(IRunningCluster cluster, Settings s, IReadOnlyList<int[]> prompts, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = cluster.RouterHttp, Timeout = TimeSpan.FromMinutes(5) };
        var next = -1;
        var usages = new JsonElement?[prompts.Count];
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, s.Concurrency).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < prompts.Count; i = Interlocked.Increment(ref next))
            {
                using var response = await http.PostAsync("/v1/completions", new StringContent(Body(cluster, prompts[i], s.MaxTokens), Encoding.UTF8, "application/json"), ct);
                usages[i] = response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("usage").Clone() : null;
            }
        }));
        wall.Stop();
        return Summarize("online, file order", usages, wall.Elapsed);
    }

    /// <summary>The requests as one batch (<paramref name="mode"/>: prefix-grouped or file-order), from create to completed.</summary>
    public static async Task<Arm> BatchAsync(IRunningCluster cluster, Settings s, IReadOnlyList<int[]> prompts, string mode, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = cluster.RouterHttp, Timeout = TimeSpan.FromMinutes(5) };
        var jsonl = string.Join('\n', prompts.Select((p, i) => $$"""{"custom_id":"r{{i}}","method":"POST","url":"/v1/completions","body":{{Body(cluster, p, s.MaxTokens)}}}"""));
        using var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" }, { new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl)), "file", "bench.jsonl" } };
        using var uploaded = await http.PostAsync("/v1/files", form, ct);
        var fileId = (await uploaded.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString();
        var wall = Stopwatch.StartNew();
        using var created = await http.PostAsync("/v1/batches", new StringContent(
            $$$"""{"input_file_id":"{{{fileId}}}","endpoint":"/v1/completions","completion_window":"24h","metadata":{"scheduling":"{{{mode}}}"}}""",
            Encoding.UTF8, "application/json"), ct);
        var id = (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString();
        JsonElement batch;
        while (true)
        {
            batch = await http.GetFromJsonAsync<JsonElement>($"/v1/batches/{id}", ct);
            if (batch.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
            {
                break;
            }

            await Task.Delay(20, ct);
        }

        wall.Stop();
        var usages = new JsonElement?[prompts.Count];
        if (batch.GetProperty("output_file_id").GetString() is { } output)
        {
            foreach (var line in (await http.GetStringAsync($"/v1/files/{output}/content", ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var o = JsonDocument.Parse(line).RootElement;
                usages[int.Parse(o.GetProperty("custom_id").GetString()![1..], CultureInfo.InvariantCulture)] =
                    o.GetProperty("response").GetProperty("body").GetProperty("usage").Clone();
            }
        }

        return Summarize($"batch, {mode}", usages, wall.Elapsed);
    }

    /// <summary>Online probes one after the other (gRPC, streamed), each's time to first token in ms, while <paramref name="until"/> is not done (or all of them).</summary>
    public static async Task<List<double>> ProbeTtftAsync(IRunningCluster cluster, IReadOnlyList<int[]> probes, Task? until, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress(cluster.RouterGrpc);
        var client = new Inference.InferenceClient(channel);
        var ttfts = new List<double>();
        foreach (var prompt in probes)
        {
            if (until is { IsCompleted: true })
            {
                break;
            }

            var request = new GenerateRequest
            {
                Model = cluster.Spec.EffectiveModelId,
                TokenIds = new TokenIds { Ids = { prompt.Select(t => (uint)t) } },
                Sampling = new SamplingParams { Temperature = 0 },
                Stop = new StopConditions { MaxTokens = 4, IgnoreEos = true },
            };
            var started = Stopwatch.GetTimestamp();
            double? ttft = null;
            using var call = client.Generate(request, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: ct));
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(ct))
            {
                ttft ??= chunk.TokenIds.Count > 0 ? Stopwatch.GetElapsedTime(started).TotalMilliseconds : null;
            }

            ttfts.Add(ttft ?? double.NaN);
            await Task.Delay(50, ct); // probes leave the cluster idle between them, as sparse interactive traffic
        }

        return ttfts;
    }

    public static double P99(IReadOnlyList<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(0.99 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static string Body(IRunningCluster cluster, int[] prompt, int maxTokens) =>
        $$"""{"model":"{{cluster.Spec.EffectiveModelId}}","prompt":[{{string.Join(',', prompt)}}],"max_tokens":{{maxTokens}},"temperature":0,"ignore_eos":true}""";

    private static Arm Summarize(string name, JsonElement?[] usages, TimeSpan wall)
    {
        var ok = usages.OfType<JsonElement>().ToList();
        return new Arm(name, ok.Count, usages.Length - ok.Count, wall,
            ok.Sum(u => (long)u.GetProperty("prompt_tokens").GetInt32()),
            ok.Sum(u => u.TryGetProperty("prompt_tokens_details", out var d) && d.ValueKind == JsonValueKind.Object ? (long)d.GetProperty("cached_tokens").GetInt32() : 0),
            ok.Sum(u => (long)u.GetProperty("completion_tokens").GetInt32()));
    }
}
