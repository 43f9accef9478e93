using static Cluster.Cli.Bench.BenchPercentiles;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cluster.ClusterState;
using Cluster.ClusterState.Events;
using Cluster.ClusterState.Redis;
using Cluster.Core.Hashing;
using Cluster.Router.Coordination;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench router-decision</c>: the router's whole routing decision per request, as the coordinator makes it:
/// hash the prompt (BlockHasher) + one prefix-index lookup in Redis (<see cref="PrefixLookup"/>) + candidates from the
/// live-worker snapshot (<see cref="WorkerPool"/>) + the cache-aware prefill and decode policies. Workload of
/// <c>router-index</c> (1,000 cached prompts × 8 workers); a Redis PING measured interleaved in the same run is the
/// bound (one round trip); the lookup's client-side parts (hashing, hex arguments) are timed alone and Redis' own script
/// time is read from <c>INFO commandstats</c>. With <c>--silos N</c> (default 2) also the router tier's grain calls of
/// a decision (<see cref="RouterDecisionBenchTier"/>): the critical path with them in sequence (before) and overlapped
/// as the coordinator now runs them (<see cref="RouterDecisionBenchCriticalPath"/>), in the same run. Goal: p99 ≤ 1 ms.
/// </summary>
internal static class RouterDecisionBenchCommand
{
    public static Command Create()
    {
        var prompts = new Option<int>("--prompts") { Description = "Cached prompts in the index", DefaultValueFactory = _ => 1000 };
        var workers = new Option<int>("--workers") { Description = "Workers holding them (all registered as colocated: both pools)", DefaultValueFactory = _ => 8 };
        var tokens = new Option<int>("--prompt-tokens") { Description = "Tokens per prompt", DefaultValueFactory = _ => 2000 };
        var decisions = new Option<int>("--decisions") { Description = "Measured decisions (one at a time)", DefaultValueFactory = _ => 10_000 };
        var redis = new Option<string?>("--redis") { Description = "Use this Redis (host:port) instead of starting redis-server on 127.0.0.1" };
        var silos = new Option<int>("--silos") { Description = "Router-tier silos (routers) clustered on the Redis for the grain calls; 0: no grain calls", DefaultValueFactory = _ => 2 };
        var command = new Command("router-decision", "Routing decision latency (hash + Redis prefix lookup + policies) next to Redis PING, 1,000 prompts × 8 workers.")
        {
            prompts, workers, tokens, decisions, redis, silos,
        };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetValue(prompts), parse.GetValue(workers), parse.GetValue(tokens), parse.GetValue(decisions), parse.GetValue(redis), parse.GetValue(silos), ct));
        return command;
    }

    private static async Task<int> RunAsync(int prompts, int workers, int promptTokens, int decisions, string? redisAddress, int silos, CancellationToken ct)
    {
        const int blockSize = 16;
        await using var server = redisAddress is null ? await LocalRedisServer.StartAsync(ct) : null;
        var address = redisAddress ?? server!.ConnectionString;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClusterState:RedisConnectionString"] = address,
            ["ClusterState:KeyPrefix"] = $"benchdecision{Environment.ProcessId}:",
            ["ClusterState:OperationTimeout"] = "00:00:05",
            ["Routing:BlockSize"] = blockSize.ToString(CultureInfo.InvariantCulture),
        }).Build();
        await using var services = new ServiceCollection().AddClusterState(configuration).AddRequestCoordinator(configuration).BuildServiceProvider();
        var index = services.GetRequiredService<RedisPrefixIndex>();
        var connection = services.GetRequiredService<RedisConnection>();

        var workload = RouterIndexBenchWorkload.Build(prompts, workers, promptTokens, blockSize, systemPrompts: 20, queries: 1000, seed: 42);
        foreach (var batch in workload.Batches)
        {
            if (await index.ApplyAsync(batch, ct) != IndexWriteOutcome.Applied)
            {
                await Console.Error.WriteLineAsync($"loading failed at batch {batch.FirstSequence} of {batch.Worker}: is Redis reachable at {address}?");
                return 1;
            }
        }

        var decider = await RouterDecisionBenchDecider.CreateAsync(services, workload.Model, workers, blockSize, ct);
        await using var tier = silos > 0 ? await RouterDecisionBenchTier.StartAsync(silos, address, ct) : null;
        Console.WriteLine(Invariant($"router-decision: {prompts} cached prompts x {promptTokens} tokens ({promptTokens / blockSize} blocks of {blockSize}), {workers} colocated workers with random load (both pools), cache-aware prefill + decode policies; Redis at {address}"));

        for (var i = 0; i < 1000; i++) // warm-up (JIT, connection, Lua script cache), not measured
        {
            var chosen = decider.Decide(await PrefixLookup.FindAsync(index, workload.Model, workload.QueryTokens[i % workload.QueryTokens.Length], blockSize, "", ct), promptTokens);
            if (tier is not null)
            {
                await tier.ClaimAndAdmitAsync(-1 - i, chosen);
                await tier.ReleaseAsync(-1 - i, chosen);
            }
        }

        var ping = new double[decisions];
        var hash = new double[decisions];
        var hex = new double[decisions];
        var plain = new double[decisions];
        var lookup = new double[decisions];
        var policies = new double[decisions];
        var path = tier is null ? null : new RouterDecisionBenchCriticalPath(tier, decisions);
        var unavailable = 0;
        using var admin = await RouterDecisionBenchRedisTime.ConnectAsync(address);
        var redisBefore = await RouterDecisionBenchRedisTime.ReadAsync(admin);
        for (var i = 0; i < decisions; i++)
        {
            var prompt = workload.QueryTokens[i % workload.QueryTokens.Length];
            var t = Stopwatch.GetTimestamp();
            await connection.PingAsync();
            ping[i] = Micros(t);

            // PrefixLookup's client-side work, alone: the block hashes, then their text form as the script's arguments.
            t = Stopwatch.GetTimestamp();
            var blocks = new BlockHasher(workload.Model, blockSize, "").HashBlocks(prompt);
            hash[i] = Micros(t);
            t = Stopwatch.GetTimestamp();
            var args = new StackExchange.Redis.RedisValue[blocks.Length + 2];
            for (var b = 0; b < blocks.Length; b++) { args[b + 2] = blocks[b].ToString(); }
            hex[i] = Micros(t);

            PrefixOverlap overlap;
            if (path is null)
            {
                t = Stopwatch.GetTimestamp();
                overlap = await PrefixLookup.FindAsync(index, workload.Model, prompt, blockSize, "", ct);
                lookup[i] = Micros(t);
                var p = Stopwatch.GetTimestamp();
                decider.Decide(overlap, prompt.Length);
                policies[i] = Micros(p);
                plain[i] = Micros(t);
            }
            else
            {
                overlap = await path.MeasureAsync(i, () => PrefixLookup.FindAsync(index, workload.Model, prompt, blockSize, "", ct), o => decider.Decide(o, prompt.Length));
            }

            unavailable += overlap.IndexAvailable ? 0 : 1;
        }

        var redisScript = (await RouterDecisionBenchRedisTime.ReadAsync(admin)).PerCallSince(redisBefore);
        Console.WriteLine(Invariant($"{decisions} decisions one at a time after 1,000 unmeasured, PING interleaved; {unavailable} lookups answered unavailable; prefill choices (warm-up included): {decider.Summary}"));
        if (path is not null)
        {
            Console.WriteLine("each decision measured twice, sequential grain calls and overlapped (alternating which first), on distinct request ids");
        }

        Console.WriteLine($"{"microseconds",-58} {"p50",8} {"p90",8} {"p99",8} {"max",8} {"mean",8}");
        Print("Redis PING round trip (bound)", ping);
        var total = path?.Decision ?? plain;
        Print("decision: hash + lookup + policies (total)", total);
        Print("  hash + Redis lookup (PrefixLookup)", path?.Lookup ?? lookup);
        Print("    of which: hash 125 blocks (BlockHasher, alone)", hash);
        Print("    of which: 125 hashes to hex script arguments (alone)", hex);
        Console.WriteLine(Invariant($"{"    of which: Redis running the lookup script (mean)",-58} {redisScript,8:F1}   (INFO commandstats eval/evalsha usec per call, this run)"));
        Print("  candidates + prefill and decode policies", path?.Policies ?? policies);
        if (path is not null)
        {
            ReportTier(path, silos);
        }

        var p99 = NearestRank(total, 99);
        Console.WriteLine(Invariant($"decision p99 {p99:F1} us vs goal 1000 us: {(p99 <= 1000 ? "met" : "NOT met")}; decision p50 minus PING p50: {NearestRank(total, 50) - NearestRank(ping, 50):F1} us"));
        return 0;
    }

    private static void ReportTier(RouterDecisionBenchCriticalPath path, int silos)
    {
        Print($"  grains ({silos} silos): claim id on IRequestGrain (local placement)", path.Claim);
        Print($"  grains ({silos} silos): admit on D's IWorkerAdmissionGrain", path.Admit);
        Print("SEQUENTIAL (before): decision, then claim, then admit", path.Sequential);
        Print("OVERLAPPED: decision with the claim in flight", path.OverlapDecision);
        Print("  claim still pending after the decision (exposed)", path.ClaimExposed);
        Print("  admit on D (runs alongside the Reserve on D)", path.OverlapAdmit);
        Print("OVERLAPPED critical path, admission hidden by Reserve", path.OverlappedHidden);
        Print("OVERLAPPED critical path, admission in full (no Reserve)", path.OverlappedFull);
        var (seq, hidden, full) = (NearestRank(path.Sequential, 99), NearestRank(path.OverlappedHidden, 99), NearestRank(path.OverlappedFull, 99));
        Console.WriteLine(Invariant($"critical path p99: sequential {seq:F1} us; overlapped {hidden:F1} us when a Reserve of at least the admission's time hides it ({hidden / seq:P0} of sequential), {full:F1} us with the admission in full ({full / seq:P0})"));
        Console.WriteLine(Invariant($"p50: sequential {NearestRank(path.Sequential, 50):F1} us; overlapped {NearestRank(path.OverlappedHidden, 50):F1} / {NearestRank(path.OverlappedFull, 50):F1} us; the admission alone p50 {NearestRank(path.OverlapAdmit, 50):F1} us, p99 {NearestRank(path.OverlapAdmit, 99):F1} us: hidden only behind a Reserve that takes at least as long (not measured here: no worker)"));
        Console.WriteLine(Invariant($"overlapped critical path p99 vs goal 1000 us: {(hidden <= 1000 ? "met" : "NOT met")} with the admission hidden, {(full <= 1000 ? "met" : "NOT met")} with it in full; sequential: {(seq <= 1000 ? "met" : "NOT met")}"));
        var madeUp = NearestRank(path.OverlapDecision, 99);
        Console.WriteLine(Invariant($"an id the router made up (the client sent none) is not waited for: critical path = the decision with the claim in flight, p99 {madeUp:F1} us vs goal 1000 us: {(madeUp <= 1000 ? "met" : "NOT met")} with the admission hidden"));
    }

    private static double Micros(long start) => Stopwatch.GetElapsedTime(start).TotalMicroseconds;

    private static void Print(string label, double[] values) =>
        Console.WriteLine(Invariant($"{label,-58} {NearestRank(values, 50),8:F1} {NearestRank(values, 90),8:F1} {NearestRank(values, 99),8:F1} {values.Max(),8:F1} {values.Average(),8:F1}"));


    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
