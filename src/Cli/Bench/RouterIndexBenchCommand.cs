using static Cluster.Cli.Bench.BenchPercentiles;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cluster.ClusterState;
using Cluster.ClusterState.Events;
using Cluster.ClusterState.InMemory;
using Cluster.ClusterState.Redis;
using Cluster.Core.Hashing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench router-index</c>: latency of one prefix-index lookup (the Redis part of a routing decision) with
/// 1,000 cached prompts × 8 workers, next to a plain Redis PING measured interleaved in the same run (the bound: one
/// round trip). Also the in-memory index and hashing the prompt, for scale. Redis and in-memory answers must agree.
/// </summary>
internal static class RouterIndexBenchCommand
{
    public static Command Create()
    {
        var prompts = new Option<int>("--prompts") { Description = "Cached prompts in the index", DefaultValueFactory = _ => 1000 };
        var workers = new Option<int>("--workers") { Description = "Workers holding them", DefaultValueFactory = _ => 8 };
        var tokens = new Option<int>("--prompt-tokens") { Description = "Tokens per prompt", DefaultValueFactory = _ => 2000 };
        var lookups = new Option<int>("--lookups") { Description = "Measured lookups (one at a time)", DefaultValueFactory = _ => 10_000 };
        var redis = new Option<string?>("--redis") { Description = "Use this Redis (host:port) instead of starting redis-server on 127.0.0.1" };
        var command = new Command("router-index", "Prefix-index lookup latency (Redis, one round trip) next to Redis PING, 1,000 prompts × 8 workers.")
        {
            prompts, workers, tokens, lookups, redis,
        };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetValue(prompts), parse.GetValue(workers), parse.GetValue(tokens), parse.GetValue(lookups), parse.GetValue(redis), ct));
        return command;
    }

    private static async Task<int> RunAsync(int prompts, int workers, int promptTokens, int lookups, string? redisAddress, CancellationToken ct)
    {
        const int blockSize = 16;
        await using var server = redisAddress is null ? await LocalRedisServer.StartAsync(ct) : null;
        var address = redisAddress ?? server!.ConnectionString;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ClusterState:RedisConnectionString"] = address,
            ["ClusterState:KeyPrefix"] = $"bench{Environment.ProcessId}:",
            ["ClusterState:OperationTimeout"] = "00:00:05",
        }).Build();
        await using var services = new ServiceCollection().AddClusterState(configuration).BuildServiceProvider();
        var redis = services.GetRequiredService<RedisPrefixIndex>();
        var memory = services.GetRequiredService<InMemoryPrefixIndex>();
        var connection = services.GetRequiredService<RedisConnection>();

        var workload = RouterIndexBenchWorkload.Build(prompts, workers, promptTokens, blockSize, systemPrompts: 20, queries: 1000, seed: 42);
        var load = Stopwatch.StartNew();
        foreach (var batch in workload.Batches)
        {
            if (await redis.ApplyAsync(batch, ct) != IndexWriteOutcome.Applied || await memory.ApplyAsync(batch, ct) != IndexWriteOutcome.Applied)
            {
                await Console.Error.WriteLineAsync($"loading failed at batch {batch.FirstSequence} of {batch.Worker}: is Redis reachable at {address}?");
                return 1;
            }
        }

        Console.WriteLine(Invariant($"router-index: {prompts} cached prompts x {promptTokens} tokens ({promptTokens / blockSize} blocks of {blockSize}), {workers} workers, {workload.DistinctBlocks} distinct blocks, {workload.Batches.Count} event batches loaded in {load.Elapsed.TotalSeconds:F1} s; Redis at {address}"));
        Console.WriteLine("lookup prompts: 50% a cached prompt, 30% new text on a shared system prompt (512 tokens), 20% never seen");

        // Correctness first: every lookup prompt answers the same from Redis and from memory.
        foreach (var query in workload.Queries)
        {
            var a = await redis.FindOverlapAsync(workload.Model, query, ct);
            var b = await memory.FindOverlapAsync(workload.Model, query, ct);
            if (!a.IndexAvailable || a.Blocks.Count != b.Blocks.Count || a.Blocks.Any(kv => b.MatchedBlocks(kv.Key) != kv.Value))
            {
                await Console.Error.WriteLineAsync("Redis and in-memory answers differ; figures withheld.");
                return 1;
            }
        }

        using var admin = await ConnectionMultiplexer.ConnectAsync(address + ",allowAdmin=true");
        var redisServer = admin.GetServer(admin.GetEndPoints()[0]);
        await redisServer.ConfigResetStatisticsAsync();
        var ping = new double[lookups];
        var viaRedis = new double[lookups];
        var inMemory = new double[lookups];
        var hashing = new double[lookups];
        var hasher = new BlockHasher(workload.Model, blockSize);
        long matched = 0;
        for (var i = 0; i < lookups; i++)
        {
            var q = i % workload.Queries.Length;
            var t = Stopwatch.GetTimestamp();
            await connection.PingAsync();
            ping[i] = Micros(t);
            t = Stopwatch.GetTimestamp();
            var overlap = await redis.FindOverlapAsync(workload.Model, workload.Queries[q], ct);
            viaRedis[i] = Micros(t);
            t = Stopwatch.GetTimestamp();
            await memory.FindOverlapAsync(workload.Model, workload.Queries[q], ct);
            inMemory[i] = Micros(t);
            t = Stopwatch.GetTimestamp();
            hasher.HashBlocks(workload.QueryTokens[q]);
            hashing[i] = Micros(t);
            matched += overlap.Blocks.Values.DefaultIfEmpty(0).Max();
        }

        Console.WriteLine(Invariant($"{lookups} rounds, one at a time (PING, Redis lookup, in-memory lookup, hashing interleaved); answers checked equal on all {workload.Queries.Length} lookup prompts; mean best match {matched / (double)lookups:F1} blocks"));
        Console.WriteLine($"{"microseconds",-40} {"p50",8} {"p90",8} {"p99",8} {"max",8} {"mean",8}");
        Print("Redis PING round trip (bound)", ping);
        Print("lookup, Redis (1 EVALSHA, Lua)", viaRedis);
        Print("lookup, in-memory (reference)", inMemory);
        Print($"hash {promptTokens} tokens (BlockHasher)", hashing);
        var stats = (await redisServer.InfoAsync("commandstats")).SelectMany(g => g).ToDictionary(kv => kv.Key, kv => kv.Value);
        Console.WriteLine(Invariant($"inside Redis (INFO commandstats, same rounds), us per call: EVALSHA lookup {UsecPerCall(stats, "cmdstat_evalsha")}, PING {UsecPerCall(stats, "cmdstat_ping")}"));
        const int inFlight = 32;
        var (perSecond, underLoad, failed) = await RouterIndexBenchLoad.RunAsync(redis, workload, inFlight, lookups, ct);
        Print($"lookup, Redis, {inFlight} in flight", underLoad);
        Console.WriteLine(Invariant($"under load: {perSecond:F0} lookups/s on one connection, {failed} of {lookups} answered unavailable (timeouts/errors)"));
        Console.WriteLine(Invariant($"lookup p50 minus PING p50: {NearestRank(viaRedis, 50) - NearestRank(ping, 50):F1} us (Lua work, {promptTokens / blockSize} hashes on the wire, parsing); goal for the whole routing decision: p99 <= 1000 us"));
        return 0;
    }

    private static string UsecPerCall(Dictionary<string, string> stats, string command) =>
        stats.TryGetValue(command, out var line) ? line.Split(',').First(p => p.StartsWith("usec_per_call=", StringComparison.Ordinal))["usec_per_call=".Length..] : "n/a";

    private static double Micros(long start) => Stopwatch.GetElapsedTime(start).TotalMicroseconds;

    private static void Print(string label, double[] values) =>
        Console.WriteLine(Invariant($"{label,-40} {NearestRank(values, 50),8:F1} {NearestRank(values, 90),8:F1} {NearestRank(values, 99),8:F1} {values.Max(),8:F1} {values.Average(),8:F1}"));


    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
