using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>
/// Cache-aware prefill routing with 2 prefill workers (counts from each worker's Status rpc): a prompt sharing a cached
/// prefix goes to the worker holding it and computes only the suffix; under a burst on one prefix the load term still
/// spreads work to the other worker.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PrefixRoutingTests(ClusterFixture fixture)
{
    private const int BlockSize = 16;

    [Fact]
    public async Task SecondRequestSharingPrefix_GoesToHolder_AndComputesOnlySuffix()
    {
        using var cts = Deadline.ForTest();
        // A long shared prefix and a short suffix: the holder's estimate (21 uncached tokens) beats the other worker's
        // (1,045) even when their measured prefill rates differ by tens of times, as they can on a loaded machine (a
        // 16-block prefix, a 13× margin, lost to that skew in CI).
        var prefix = Prompts.Make(3000, 64 * BlockSize);
        var first = Prompts.WithPrefix(prefix, 3001, 10);
        var second = Prompts.WithPrefix(prefix, 3002, 21);

        var before = await PrefillCountersAsync(cts.Token);
        await fixture.Calls.GenerateAsync(fixture.Calls.Greedy(first, 4), cts.Token);
        var afterFirst = await PrefillCountersAsync(cts.Token);
        var computedFirst = Delta(afterFirst, before, c => c.Computed);
        var holder = Assert.Single(computedFirst, d => d.Value > 0).Key;
        Assert.Equal(first.Length, computedFirst[holder]);
        await WaitIndexedAsync(holder, prefix);
        await WaitPrefillQueuesReportedEmptyAsync();

        var loadsBefore = await RegistryLoadsAsync();
        var output = await fixture.Calls.GenerateAsync(fixture.Calls.Greedy(second, 4), cts.Token);
        var afterSecond = await PrefillCountersAsync(cts.Token);

        var computed = Delta(afterSecond, afterFirst, c => c.Computed);
        var cached = Delta(afterSecond, afterFirst, c => c.Cached);
        if (computed[holder] != second.Length - prefix.Length)
        {
            // Flaked in CI (3 of 5 runs) and never here: say where the request went and what the router saw.
            Assert.Fail($"the holder {holder} computed {computed[holder]} of the second request, not its {second.Length - prefix.Length}-token suffix. " +
                        $"Computed per prefill worker: {string.Join(", ", computed.Select(c => $"{c.Key}={c.Value}"))}; cached: {string.Join(", ", cached.Select(c => $"{c.Key}={c.Value}"))}; " +
                        $"registry loads before it: {loadsBefore}; router metrics: {await RouterRoutingMetricsAsync(cts.Token)}");
        }

        Assert.Equal(second.Length - prefix.Length, computed[holder]);
        Assert.Equal(prefix.Length, cached[holder]);
        Assert.All(computed.Where(d => d.Key != holder), d => Assert.Equal(0, d.Value));
        Assert.Equal((uint)prefix.Length, output.Usage!.CachedPromptTokens);
    }

    [Fact]
    public async Task BurstOnOneCachedPrefix_SpreadsOverBothPrefillWorkers()
    {
        using var cts = Deadline.ForTest();
        var prefix = Prompts.Make(4000, 16 * BlockSize);
        await fixture.Calls.GenerateAsync(fixture.Calls.Greedy(Prompts.WithPrefix(prefix, 4001, 5), 2), cts.Token);
        var before = await PrefillCountersAsync(cts.Token);

        // Each request's own part (384 tokens) costs more than the shared prefix (256): a queue on the holder soon outweighs its cache.
        var burst = Enumerable.Range(0, 32).Select(i => Prompts.WithPrefix(prefix, 4100 + i, 384)).ToArray();
        await Task.WhenAll(burst.Select(p => fixture.Calls.GenerateAsync(fixture.Calls.Greedy(p, 2), cts.Token)));
        var after = await PrefillCountersAsync(cts.Token);

        var computed = Delta(after, before, c => c.Computed);
        var loads = string.Join("; ", (await fixture.Cluster.Registry.ListAsync(new ModelId(TestModel.Id))).Select(w => $"{w.Info.Id}: {w.Load}"));
        Assert.All(computed, d => Assert.True(d.Value > 0,
            $"prefill worker {d.Key} computed nothing of a 32-request burst on one cached prefix: routing ignored load " +
            $"(computed {string.Join(", ", computed.Select(c => $"{c.Key}={c.Value}"))}; registry loads {loads})"));
    }

    private async Task<string> RegistryLoadsAsync() =>
        string.Join("; ", (await fixture.Cluster.Registry.ListAsync(new ModelId(TestModel.Id))).Select(w => $"{w.Info.Id} ({w.Info.Role}): {w.Load}"));

    private async Task<string> RouterRoutingMetricsAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ClusterFixture.ClusterToken);
        var page = await http.GetStringAsync(new Uri(fixture.Cluster.RouterHttp, "/metrics"), cancellationToken);
        return string.Join(" | ", page.Split('\n').Where(l => !l.StartsWith('#') && (l.Contains("routing_decisions", StringComparison.Ordinal) || l.Contains("prefix_matched", StringComparison.Ordinal))));
    }

    private IEnumerable<RoleEndpoint> PrefillWorkers => fixture.Cluster.Workers.Where(w => w.Role == "prefill");

    private async Task<Dictionary<string, (long Computed, long Cached)>> PrefillCountersAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, (long, long)>();
        foreach (var worker in PrefillWorkers)
        {
            var status = await fixture.Calls.StatusAsync(worker, cancellationToken);
            result[worker.Name] = ((long)status.ComputedPromptTokens, (long)status.CachedPromptTokens);
        }

        return result;
    }

    private static Dictionary<string, long> Delta(Dictionary<string, (long Computed, long Cached)> after, Dictionary<string, (long Computed, long Cached)> before,
        Func<(long Computed, long Cached), long> field) =>
        after.ToDictionary(a => a.Key, a => field(a.Value) - field(before[a.Key]));

    /// <summary>
    /// Load reaches the registry by heartbeat (every second): one sent while the first request was prefilling counts its
    /// tokens as queued on the holder until the next, enough to send the second request elsewhere.
    /// </summary>
    private Task WaitPrefillQueuesReportedEmptyAsync() => Deadline.UntilAsync(async () =>
            (await fixture.Cluster.Registry.ListAsync(new ModelId(TestModel.Id), global::Cluster.ClusterState.Model.WorkerRole.Prefill))
                .All(w => w.Load is { QueuedPrefillTokens: 0, Running: 0, Waiting: 0 }),
        TimeSpan.FromSeconds(30), "every prefill worker's heartbeat reports nothing queued or running");

    /// <summary>The worker's KV events reach the index asynchronously; the router can only route by what the index shows.</summary>
    private async Task WaitIndexedAsync(string worker, int[] prefix)
    {
        var hashes = new BlockHasher(new ModelId(TestModel.Id), BlockSize).HashBlocks(prefix);
        await Deadline.UntilAsync(async () =>
        {
            var overlap = await fixture.Cluster.Index.FindOverlapAsync(new ModelId(TestModel.Id), hashes);
            return overlap.MatchedBlocks(new WorkerId(worker)) >= hashes.Length;
        }, TimeSpan.FromSeconds(30), $"the prefix index shows {hashes.Length} blocks on {worker}");
    }
}
