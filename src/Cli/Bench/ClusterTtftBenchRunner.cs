using System.Diagnostics;
using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Cli.Bench;

/// <summary>Runs the shared-prefix workload against a fresh in-process cluster (2 prefill + 1 decode) with one prefill policy.</summary>
internal static class ClusterTtftBenchRunner
{
    /// <summary>What one policy achieved.</summary>
    public sealed record Result(string Policy, double[] TtftMs, long PromptTokens, long CachedPromptTokens,
        IReadOnlyDictionary<string, ulong> ComputedByPrefillWorker, TimeSpan Wall, int Failed,
        IReadOnlyList<ClusterTtftBenchTrace.Breakdown> Trace, IReadOnlyDictionary<string, double> PrefillRates)
    {
        /// <summary>Mean TTFT; NaN when no request succeeded (the table then shows NaN next to the failed count).</summary>
        public double Mean => TtftMs.Length == 0 ? double.NaN : TtftMs.Average();

        public double Percentile(double percent) => BenchPercentiles.NearestRank(TtftMs, percent);

        public double CacheHitFraction => PromptTokens == 0 ? 0 : (double)CachedPromptTokens / PromptTokens;

        /// <summary>Share of all requests (failed ones miss) whose TTFT met <paramref name="sloMs"/>.</summary>
        public double Attainment(double sloMs) => TtftMs.Length + Failed == 0 ? 0 : (double)TtftMs.Count(t => t <= sloMs) / (TtftMs.Length + Failed);

        /// <summary>Requests per second of wall time whose TTFT met <paramref name="sloMs"/>.</summary>
        public double Goodput(double sloMs) => Wall <= TimeSpan.Zero ? 0 : TtftMs.Count(t => t <= sloMs) / Wall.TotalSeconds;
    }

    public static async Task<Result> RunAsync(string modelPath, string policy, int prefillBlocks, int maxTokens, ClusterTtftBenchWorkload workload, CancellationToken ct, string device = "cpu",
        IReadOnlyDictionary<string, string>? settings = null, IReadOnlyList<string>? prefillDevices = null, IReadOnlyList<string>? decodeDevices = null)
    {
        var spec = new ClusterSpec
        {
            ModelPath = modelPath, RouterGrpcPort = 0, RouterHttpPort = 0, PrefillWorkers = 2, DecodeWorkers = 1, Device = device,
            PrefillDevices = prefillDevices ?? [], DecodeDevices = decodeDevices ?? [],
            // Every request goes through the prefill pool (the policy under test): the measured-cost disaggregation
            // policy would let the decode worker prefill prompts itself wherever that looks cheaper.
            Settings = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
            {
                ["Routing:PrefillPolicy"] = policy, ["Routing:DisaggregationPolicy"] = "threshold", ["Routing:MinDisaggregatedTokens"] = "0",
            },
            PrefillSettings = prefillBlocks > 0 ? new Dictionary<string, string> { ["KvCache:NumBlocks"] = prefillBlocks.ToString(System.Globalization.CultureInfo.InvariantCulture) } : new Dictionary<string, string>(),
        };
        await using var cluster = await InProcessCluster.StartAsync(spec, TimeSpan.FromSeconds(120), quiet: true, ct);
        using var channel = GrpcChannel.ForAddress(cluster.RouterGrpc);
        var client = new Inference.InferenceClient(channel);
        foreach (var warm in workload.Warmup)
        {
            await GenerateAsync(client, spec.EffectiveModelId, warm, maxTokens, ct);
        }

        var prefill = cluster.Workers.Where(w => w.Role == "prefill").ToArray();
        var before = await ComputedAsync(prefill, ct);
        using var trace = new ClusterTtftBenchTrace();
        var wall = Stopwatch.StartNew();
        var tasks = workload.Requests.Select(async r =>
        {
            var wait = r.Arrival - wall.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            try
            {
                return (Outcome?)await GenerateAsync(client, spec.EffectiveModelId, r.Prompt, maxTokens, ct);
            }
            catch (RpcException e)
            {
                await Console.Error.WriteLineAsync($"  request failed: {e.StatusCode} {e.Status.Detail}");
                return null;
            }
        }).ToArray();
        var outcomes = await Task.WhenAll(tasks);
        wall.Stop();
        var after = await ComputedAsync(prefill, ct);
        var rates = await RatesAsync(prefill, ct);
        var ok = outcomes.OfType<Outcome>().ToArray();
        return new Result(policy, ok.Select(o => o.TtftMs).ToArray(), ok.Sum(o => (long)o.PromptTokens), ok.Sum(o => (long)o.CachedTokens),
            after.ToDictionary(a => a.Key, a => a.Value - before[a.Key]), wall.Elapsed, outcomes.Length - ok.Length, trace.Requests(), rates);
    }

    private sealed record Outcome(double TtftMs, uint PromptTokens, uint CachedTokens);

    private static async Task<Outcome> GenerateAsync(Inference.InferenceClient client, string model, int[] prompt, int maxTokens, CancellationToken ct)
    {
        var request = new GenerateRequest
        {
            Model = model,
            TokenIds = new TokenIds { Ids = { prompt.Select(t => (uint)t) } },
            Sampling = new SamplingParams { Temperature = 0 },
            Stop = new StopConditions { MaxTokens = (uint)maxTokens, IgnoreEos = true },
        };
        var started = Stopwatch.GetTimestamp();
        double? ttft = null;
        Usage? usage = null;
        using var call = client.Generate(request, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(5), cancellationToken: ct));
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(ct))
        {
            if (ttft is null && chunk.TokenIds.Count > 0)
            {
                ttft = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            usage = chunk.Usage ?? usage;
        }

        return new Outcome(ttft ?? throw new InvalidOperationException("the stream ended without a token"), usage?.PromptTokens ?? 0, usage?.CachedPromptTokens ?? 0);
    }

    // The prefill rate each worker advertises (what the cache-aware policy divides by) at the end of the run.
    private static async Task<Dictionary<string, double>> RatesAsync(IEnumerable<RoleEndpoint> workers, CancellationToken ct)
    {
        var result = new Dictionary<string, double>();
        foreach (var worker in workers)
        {
            using var channel = GrpcChannel.ForAddress(worker.Grpc);
            var status = await new Contracts.V1.Worker.WorkerClient(channel).StatusAsync(new StatusRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct));
            result[worker.Name] = status.PrefillTokensPerSecond;
        }

        return result;
    }

    private static async Task<Dictionary<string, ulong>> ComputedAsync(IEnumerable<RoleEndpoint> workers, CancellationToken ct)
    {
        var result = new Dictionary<string, ulong>();
        foreach (var worker in workers)
        {
            using var channel = GrpcChannel.ForAddress(worker.Grpc);
            var status = await new Contracts.V1.Worker.WorkerClient(channel).StatusAsync(new StatusRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct));
            result[worker.Name] = status.ComputedPromptTokens;
        }

        return result;
    }
}
