using System.Diagnostics;
using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Cli.Bench;

/// <summary>
/// One phase of <c>bench disagg</c>: a fresh cluster (1 prefill + 1 decode worker) in one process or as child processes
/// with Redis, colocated (<c>Routing:MinDisaggregatedTokens=1000000</c>: every request stays on the decode worker),
/// disaggregated (every request disaggregated: the threshold policy at 0) or auto (the router's defaults: the
/// measured-cost policy decides per request), a short unmeasured warm-up, then the workload's Poisson arrivals over HTTP; the workers' gRPC
/// Status before and after the measured phase gives the KV and prompt-token deltas.
/// </summary>
public static class DisaggBenchRunner
{
    public const string OneProcess = "one-process";
    public const string Processes = "processes";
    public const string Colocated = "colocated";
    public const string Disaggregated = "disaggregated";
    public const string Auto = "auto";

    /// <summary>Settings of a whole run (every phase).</summary>
    public sealed record Settings(string ModelPath, string Device, IReadOnlyDictionary<string, string> Set, int MaxTokens, TimeSpan Timeout,
        string? Redis, string LogDirectory, TimeSpan ReadyTimeout)
    {
        /// <summary><c>--prefill-devices</c> (empty: <see cref="Device"/>).</summary>
        public IReadOnlyList<string> PrefillDevices { get; init; } = [];

        /// <summary><c>--decode-devices</c> (empty: <see cref="Device"/>).</summary>
        public IReadOnlyList<string> DecodeDevices { get; init; } = [];
    }

    /// <summary>Status counters summed over the workers of one role, measured phase only.</summary>
    public sealed record Counters(ulong KvReceivedBytes, ulong KvReceivedRequests, ulong KvReusedTokens, ulong ComputedPromptTokens, ulong CachedPromptTokens)
    {
        public static Counters operator +(Counters a, Counters b) => new(a.KvReceivedBytes + b.KvReceivedBytes, a.KvReceivedRequests + b.KvReceivedRequests,
            a.KvReusedTokens + b.KvReusedTokens, a.ComputedPromptTokens + b.ComputedPromptTokens, a.CachedPromptTokens + b.CachedPromptTokens);

        public static Counters operator -(Counters a, Counters b) => new(a.KvReceivedBytes - b.KvReceivedBytes, a.KvReceivedRequests - b.KvReceivedRequests,
            a.KvReusedTokens - b.KvReusedTokens, a.ComputedPromptTokens - b.ComputedPromptTokens, a.CachedPromptTokens - b.CachedPromptTokens);
    }

    /// <summary>What one phase measured.</summary>
    public sealed record Phase(string Mode, string Config, double Rate, IReadOnlyList<EndpointBenchClient.Outcome> Outcomes, TimeSpan Wall,
        IReadOnlyDictionary<string, Counters> ByRole, string ClusterMode);

    public static async Task<Phase> RunAsync(Settings settings, string mode, string config, double rate, DisaggBenchWorkload workload, CancellationToken ct)
    {
        var set = new Dictionary<string, string>(settings.Set);
        switch (config)
        {
            case Colocated:
                set["Routing:MinDisaggregatedTokens"] = "1000000";
                break;
            case Disaggregated:
                set["Routing:MinDisaggregatedTokens"] = "0";
                set["Routing:DisaggregationPolicy"] = "threshold";
                break;
            case Auto:
                break;
            default:
                throw new ArgumentException($"--configs: {Colocated}, {Disaggregated} or {Auto} (got '{config}').");
        }
        var spec = new ClusterSpec
        {
            ModelPath = settings.ModelPath, RouterGrpcPort = 0, RouterHttpPort = 0, PrefillWorkers = 1, DecodeWorkers = 1, Device = settings.Device, Settings = set,
            PrefillDevices = settings.PrefillDevices, DecodeDevices = settings.DecodeDevices,
        };
        await using IRunningCluster cluster = mode switch
        {
            OneProcess => await InProcessCluster.StartAsync(spec, settings.ReadyTimeout, quiet: true, ct),
            Processes => await ProcessCluster.StartAsync(spec, settings.Redis, Path.Combine(settings.LogDirectory, $"{config}-{rate:0.##}"), settings.ReadyTimeout,
                cancellationToken: ct),
            _ => throw new ArgumentException($"--modes: {OneProcess} or {Processes} (got '{mode}')."),
        };
        using var client = new DisaggBenchClient(cluster.RouterHttp, spec.EffectiveModelId, settings.Timeout);
        foreach (var prompt in workload.Warmup)
        {
            var warm = await client.CompleteAsync(prompt, settings.MaxTokens, ct);
            if (!warm.Ok)
            {
                await Console.Error.WriteLineAsync($"  warm-up request failed: {warm.Error}");
            }
        }

        var before = await CountersAsync(cluster.Workers, ct);
        var wall = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(workload.Requests.Select(async r =>
        {
            var wait = r.Arrival - wall.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            return await client.CompleteAsync(r.Prompt, settings.MaxTokens, ct);
        }));
        wall.Stop();
        var after = await CountersAsync(cluster.Workers, ct);
        foreach (var failed in outcomes.Where(o => !o.Ok).GroupBy(o => o.Error).Take(5))
        {
            await Console.Error.WriteLineAsync($"  {failed.Count()} request(s) failed: {failed.Key}");
        }

        return new Phase(mode, config, rate, outcomes, wall.Elapsed, after.ToDictionary(a => a.Key, a => a.Value - before[a.Key]), cluster.Mode);
    }

    private static async Task<Dictionary<string, Counters>> CountersAsync(IEnumerable<RoleEndpoint> workers, CancellationToken ct)
    {
        var result = new Dictionary<string, Counters>();
        foreach (var worker in workers)
        {
            using var channel = GrpcChannel.ForAddress(worker.Grpc);
            var s = await new Contracts.V1.Worker.WorkerClient(channel).StatusAsync(new StatusRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct));
            var c = new Counters(s.KvReceivedBytes, s.KvReceivedRequests, s.KvReusedTokens, s.ComputedPromptTokens, s.CachedPromptTokens);
            result[worker.Role] = result.TryGetValue(worker.Role, out var sum) ? sum + c : c;
        }

        return result;
    }
}
