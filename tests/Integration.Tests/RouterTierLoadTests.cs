using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;
using Xunit.Abstractions;

namespace Cluster.Integration.Tests;

/// <summary>
/// Issue 14, the router tier under load and failure: three router processes on a real redis-server with real workers.
/// Load spread against one router, a router killed with SIGKILL mid-load, and Redis stopped for 10 s.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RouterTierLoadTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int Routers = 3;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task LoadOverThreeRouters_SpreadsAsEvenlyAsOverOne()
    {
        _ = fixture;
        using var cts = new CancellationTokenSource(Bound);
        // Least-loaded policies: the spread follows the load signals the routers see, not the measured prefill rates, which
        // on a loaded 2-core machine differ by several times between two equal workers and send a burst to the "faster" one.
        var settings = new Dictionary<string, string>
        {
            ["Routing:DisaggregationPolicy"] = "threshold",
            ["Routing:PrefillPolicy"] = "least-loaded",
            ["Routing:DecodePolicy"] = "least-loaded",
        };
        const int requests = 36;

        // Each burst on a fresh cluster, from idle workers: right after one burst the workers' last heartbeats (1 s apart)
        // still show it running, and every router would avoid the worker that heartbeat last (seen: decode 3/33).
        var one = await BurstAsync(settings, (routers, i) => routers[0], 16_000, requests, cts.Token);
        var three = await BurstAsync(settings, (routers, i) => routers[i % Routers], 17_000, requests, cts.Token);

        output.WriteLine($"{requests} concurrent requests, 2 prefill + 2 decode workers (prefills = sampled first tokens on P; decodes = KV received on D)");
        output.WriteLine($"one router:    {Describe(one)}");
        output.WriteLine($"three routers: {Describe(three)}");
        foreach (var (role, counts) in three)
        {
            Assert.Equal(requests, counts.Values.Sum());
        }

        // Sane: every worker of a pool takes at least a sixth of the requests (an even split is a half), and three routers
        // spread no worse than one router plus a third of the requests (CI on 2 loaded cores saw decode 14/22 against 18/18).
        foreach (var (role, counts) in three)
        {
            Assert.All(counts, c => Assert.True(c.Value >= requests / 6, $"three routers: {c.Key} got {c.Value} of {requests} ({role})"));
            Assert.True(Spread(counts) <= Spread(one[role]) + (requests / 3), $"three routers spread {role} {Spread(counts)}, one router {Spread(one[role])}");
        }
    }

    [Fact]
    public async Task LoadOverThreeRouters_CacheAwarePrefill_SeesTheOtherRoutersPrefills()
    {
        using var cts = new CancellationTokenSource(Bound);
        // The default prefill policy: its estimate divides by each worker's measured rate, which on a loaded 2-core machine
        // differs several times between two equal workers; the other routers' prefills in flight (the tier's prefill load)
        // are what keeps three routers from all choosing the "faster" one.
        var settings = new Dictionary<string, string>
        {
            ["Routing:DisaggregationPolicy"] = "threshold",
            ["Routing:PrefillPolicy"] = "cache-aware",
            ["Routing:DecodePolicy"] = "least-loaded",
        };
        const int requests = 36;
        var three = await BurstAsync(settings, (routers, i) => routers[i % Routers], 17_500, requests, cts.Token);
        output.WriteLine($"three routers, cache-aware prefill: {Describe(three)}");
        Assert.Equal(requests, three["prefill"].Values.Sum());
        // Loose, as for the least-loaded burst: each prefill worker takes at least a sixth (seen before the tier shared
        // prefill load: 36/0 once; since, 17/19, 18/18, 18/18 here, and 18/18 twice with the sharing switched off, so the
        // burst on a fresh cluster does not always show the difference).
        Assert.All(three["prefill"], c => Assert.True(c.Value >= requests / 6, $"three routers, cache-aware: {c.Key} got {c.Value} of {requests} prefills"));
    }

    /// <summary>One burst of <paramref name="requests"/> concurrent requests on a fresh three-router cluster, sent through <paramref name="router"/>(routers, i).</summary>
    private static async Task<Dictionary<string, Dictionary<string, int>>> BurstAsync(
        Dictionary<string, string> settings, Func<ClusterCalls[], int, ClusterCalls> router, int seed, int requests, CancellationToken cancellationToken)
    {
        await using var cluster = await StartAsync(prefill: 2, decode: 2, settings);
        var routers = cluster.Routers.Select(r => new ClusterCalls(cluster, r.Grpc)).ToArray();
        using var workers = new ClusterCalls(cluster);
        try
        {
            return await SpreadAsync(cluster, workers, i => router(routers, i), seed, requests, cancellationToken);
        }
        finally
        {
            routers.ToList().ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public async Task KillNineOneRouterMidLoad_OthersServe_ItsStreamsFail_KvAndAdmittedCountsReturnToZero()
    {
        using var cts = new CancellationTokenSource(Bound);
        await using var cluster = await StartAsync(prefill: 1, decode: 2, new() { ["RouterTier:AdmissionLease"] = Lease.ToString() });
        var routers = cluster.Routers.Select(r => new ClusterCalls(cluster, r.Grpc)).ToArray();
        using var workers = new ClusterCalls(cluster);
        var decodeWorkers = cluster.Workers.Where(w => w.Role == "decode").ToArray();
        const int perRouter = 2;
        const int longTokens = 1500; // still streaming when the router dies, also on a loaded machine

        // Two long streams through each router; wait until every one streams.
        var started = Enumerable.Range(0, Routers * perRouter).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var streams = Enumerable.Range(0, Routers * perRouter).Select(i =>
        {
            var calls = routers[i % Routers];
            return calls.GenerateAsync(calls.Greedy(Prompts.Make(18_000 + i, 24), longTokens, ignoreEos: true), cts.Token,
                _ => { started[i].TrySetResult(); return Task.CompletedTask; });
        }).ToArray();
        await Task.WhenAll(started.Select(s => s.Task)).WaitAsync(cts.Token);

        // Router 1 sees every router's admissions (its own and, through the grains, the others').
        await Deadline.UntilAsync(async () => (await AdmittedAsync(cluster.Routers[0], cts.Token)).Values.Sum() == Routers * perRouter,
            TimeSpan.FromSeconds(20), $"router 1's gauge {Gauge} shows all {Routers * perRouter} admitted streams");

        var victim = cluster.Routers[2];
        await cluster.Process(victim.Name).KillAsync(); // SIGKILL, not restarted
        var killed = Stopwatch.StartNew();

        // Its clients' streams end with an error; the others' finish whole.
        var victims = streams.Where((_, i) => i % Routers == 2).ToArray();
        foreach (var stream in victims)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => stream);
            output.WriteLine($"stream through the killed router ended: {e.StatusCode} {e.Status.Detail}");
        }

        // The workers free the killed router's KV at once (its calls' connections closed): within the lease.
        await Deadline.UntilAsync(async () => await RunningAsync(workers, decodeWorkers, cts.Token) <= (Routers - 1) * perRouter,
            Lease, $"the decode workers dropped the killed router's {perRouter} streams within the lease ({Lease.TotalSeconds} s)");
        output.WriteLine($"killed router's streams gone from the workers {killed.ElapsedMilliseconds} ms after the kill");

        // The surviving routers keep serving new requests while their own long streams run.
        for (var i = 0; i < 4; i++)
        {
            var calls = routers[i % 2];
            var prompt = Prompts.Make(18_100 + i, 20);
            Assert.Equal(fixture.Golden.Greedy(prompt, 8), (await calls.GenerateAsync(calls.Greedy(prompt, 8), cts.Token)).Tokens);
        }

        foreach (var stream in streams.Where((_, i) => i % Routers != 2))
        {
            var done = await stream;
            Assert.Equal((longTokens, FinishReason.Length), (done.Tokens.Count, done.Finish));
        }

        // No worker's admitted-work count stays inflated: the killed router's admissions expire with its lease.
        foreach (var router in cluster.Routers.Take(2))
        {
            await Deadline.UntilAsync(async () => (await AdmittedAsync(router, cts.Token)).Values.All(n => n == 0),
                Lease + TimeSpan.FromSeconds(10), $"{router.Name}'s {Gauge} back to 0 on every decode worker (lease {Lease.TotalSeconds} s)");
        }

        output.WriteLine($"admitted counts back to 0 on both surviving routers {killed.ElapsedMilliseconds} ms after the kill");
        output.WriteLine($"worker grains re-seeded by the survivors (only when a grain lived on the killed router's silo): {LogLines(cluster, "Re-seeded").Count} renewals");
        await Deadline.UntilAsync(async () => await RunningAsync(workers, decodeWorkers, cts.Token) == 0 && await AllKvFreeAsync(workers, decodeWorkers, cts.Token),
            TimeSpan.FromSeconds(10), "every decode worker idle, no reservation, every KV block free");
        routers.ToList().ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task RedisStoppedForTenSeconds_RoutersKeepServing_TierStillOneCluster()
    {
        using var cts = new CancellationTokenSource(Bound + TimeSpan.FromSeconds(120)); // + a router's restart and join
        await using var cluster = await StartAsync(prefill: 1, decode: 1, []);
        var routers = cluster.Routers.Select(r => new ClusterCalls(cluster, r.Grpc)).ToArray();
        var served = 0;

        await cluster.Redis!.StopAsync(); // the membership table, the registry and the index are gone for 10 s
        var outage = Stopwatch.StartNew();
        for (var i = 0; outage.Elapsed < TimeSpan.FromSeconds(10); i++) // the requests themselves pace the window
        {
            var calls = routers[i % Routers];
            var prompt = Prompts.Make(19_000 + i, 20);
            var generated = await calls.GenerateAsync(calls.Greedy(prompt, 8), cts.Token);
            Assert.Equal(fixture.Golden.Greedy(prompt, 8), generated.Tokens);
            served++;
        }

        output.WriteLine($"Redis down {outage.Elapsed.TotalSeconds:F1} s: {served} requests served over the {Routers} routers, none failed");
        Assert.True(served >= Routers, $"only {served} requests in the 10 s window");
        await AssertDuplicateRefusedAcrossRoutersAsync(routers[0], routers[1], "during-outage", cts.Token);

        await cluster.Redis.RestartAsync(cts.Token); // same port, empty (no persistence)
        var restarted = Stopwatch.StartNew();
        for (var r = 0; r < Routers; r++)
        {
            var calls = routers[r];
            var prompt = Prompts.Make(19_500 + r, 20);
            await Deadline.UntilAsync(async () =>
            {
                try
                {
                    return (await calls.GenerateAsync(calls.Greedy(prompt, 8), cts.Token)).Tokens.SequenceEqual(fixture.Golden.Greedy(prompt, 8));
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.Unavailable && e.Status.Detail.Contains("live", StringComparison.OrdinalIgnoreCase))
                {
                    // The workers re-register in the empty Redis on their next heartbeat (ARCHITECTURE §7): no live worker
                    // (NOT_FOUND), or the prefill worker back before the decode worker (UNAVAILABLE "no live worker ...").
                    return false;
                }
            }, TimeSpan.FromSeconds(30), $"{cluster.Routers[r].Name} serves after Redis came back empty");
        }

        output.WriteLine($"every router served again {restarted.ElapsedMilliseconds} ms after Redis restarted empty");
        await AssertDuplicateRefusedAcrossRoutersAsync(routers[1], routers[2], "after-outage", cts.Token);
        Assert.All(cluster.Routers, r => Assert.Equal(0, cluster.Process(r.Name).Restarts));

        // The membership table came back empty: the routers re-create it (MembershipTableRestorer), so a router that
        // restarts now joins the same tier. Router 3 crashes (SIGKILL of its process; `cluster up` restarts it).
        await Deadline.UntilAsync(() => Task.FromResult(LogLines(cluster, "Restored the Orleans membership table").Count > 0),
            TimeSpan.FromSeconds(30), "a router logged that it restored the membership table");
        var crashed = cluster.Process(cluster.Routers[2].Name);
        using (var process = Process.GetProcessById(crashed.Id))
        {
            process.Kill();
        }

        await Deadline.UntilAsync(() => Task.FromResult(crashed.Restarts == 1), TimeSpan.FromSeconds(30), $"{crashed.Name} restarted");
        var again = Stopwatch.StartNew();
        var attempt = 0;
        await Deadline.UntilAsync(
            async () => await DuplicateRefusedAsync(routers[0], routers[2], $"after-restart-{attempt++}", cts.Token),
            TimeSpan.FromSeconds(90), $"the restarted {crashed.Name} refuses a duplicate of a request running on {cluster.Routers[0].Name} (one tier)");
        output.WriteLine($"the restarted router joined the tier: a duplicate id refused {again.ElapsedMilliseconds} ms after its restart ({attempt} attempts)");
        LogLines(cluster, "Orleans.Runtime.Membership").ForEach(l => output.WriteLine(l.Length > 240 ? l[..240] : l)); // what membership did
        LogLines(cluster, "membership table").ForEach(l => output.WriteLine(l.Length > 240 ? l[..240] : l));
        routers.ToList().ForEach(r => r.Dispose());
    }

    /// <summary>
    /// True when a duplicate on <paramref name="b"/> of a request streaming through <paramref name="a"/> is refused
    /// ALREADY_EXISTS; false when <paramref name="b"/> ran it (b does not share a's tier, or cannot reach the router
    /// serving the id yet) or could not serve it.
    /// </summary>
    private static async Task<bool> DuplicateRefusedAsync(ClusterCalls a, ClusterCalls b, string id, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = a.Greedy(Prompts.Make(19_950, 20), 1500, ignoreEos: true);
        request.RequestId = id;
        var running = a.GenerateAsync(request, stop.Token, _ => { first.TrySetResult(); return Task.CompletedTask; });
        try
        {
            if (await Task.WhenAny(first.Task, running).WaitAsync(cancellationToken) != first.Task)
            {
                return false; // the first request ended before streaming (a router not serving yet)
            }

            var duplicate = b.Greedy(Prompts.Make(19_951, 20), 4);
            duplicate.RequestId = id;
            await b.GenerateAsync(duplicate, cancellationToken);
            return false;
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            return e.StatusCode == StatusCode.AlreadyExists;
        }
        finally
        {
            await stop.CancelAsync();
            await running.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private const string Gauge = "cluster_router_tier_admitted_requests";

    /// <summary>Lines of every router's log containing <paramref name="text"/> (router name first).</summary>
    private static List<string> LogLines(ProcessCluster cluster, string text) =>
        [.. cluster.Routers.SelectMany(r => ReadShared(r.LogPath!).Where(l => l.Contains(text, StringComparison.Ordinal)).Select(l => $"{r.Name}: {l}"))];

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    private static Task<ProcessCluster> StartAsync(int prefill, int decode, Dictionary<string, string> settings) =>
        ClusterFixture.StartAsync(ClusterFixture.Spec(prefill, decode, settings) with { Routers = Routers });

    /// <summary>A request streaming through <paramref name="a"/> and the same id on <paramref name="b"/>: ALREADY_EXISTS (the tier's request grain answered).</summary>
    private async Task AssertDuplicateRefusedAcrossRoutersAsync(ClusterCalls a, ClusterCalls b, string id, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = a.Greedy(Prompts.Make(19_900, 20), 1500, ignoreEos: true);
        request.RequestId = id;
        var running = a.GenerateAsync(request, stop.Token, _ => { first.TrySetResult(); return Task.CompletedTask; });
        await first.Task.WaitAsync(cancellationToken);
        var duplicate = b.Greedy(Prompts.Make(19_901, 20), 4);
        duplicate.RequestId = id;
        var e = await Assert.ThrowsAsync<RpcException>(() => b.GenerateAsync(duplicate, cancellationToken));
        Assert.Equal(StatusCode.AlreadyExists, e.StatusCode);
        await stop.CancelAsync(); // the first request is not needed further
        await running.ContinueWith(_ => { }, TaskScheduler.Default);
        output.WriteLine($"{id}: a duplicate id on another router was refused ({e.StatusCode})");
    }

    /// <summary>Per role (prefill, decode), how many of <paramref name="requests"/> each worker took.</summary>
    private static async Task<Dictionary<string, Dictionary<string, int>>> SpreadAsync(
        ProcessCluster cluster, ClusterCalls workers, Func<int, ClusterCalls> router, int seed, int requests, CancellationToken cancellationToken)
    {
        var before = await CountersAsync(cluster, workers, cancellationToken);
        var results = await Task.WhenAll(Enumerable.Range(0, requests).Select(i =>
            router(i).GenerateAsync(router(i).Greedy(Prompts.Make(seed + i, 32), 4, ignoreEos: true), cancellationToken)));
        Assert.All(results, r => Assert.Equal(4, r.Tokens.Count));
        var after = await CountersAsync(cluster, workers, cancellationToken);
        return cluster.Workers.GroupBy(w => w.Role).ToDictionary(g => g.Key, g => g.ToDictionary(w => w.Name, w => (int)(after[w.Name] - before[w.Name])));
    }

    /// <summary>Prefill workers: tokens sampled (one first token per prefill); decode workers: KV transfers received.</summary>
    private static async Task<Dictionary<string, ulong>> CountersAsync(ProcessCluster cluster, ClusterCalls workers, CancellationToken cancellationToken)
    {
        var counters = new Dictionary<string, ulong>();
        foreach (var worker in cluster.Workers)
        {
            var status = await workers.StatusAsync(worker, cancellationToken);
            counters[worker.Name] = worker.Role == "prefill" ? status.GeneratedTokens : status.KvReceivedRequests;
        }

        return counters;
    }

    private static int Spread(Dictionary<string, int> counts) => counts.Values.Max() - counts.Values.Min();

    private static string Describe(Dictionary<string, Dictionary<string, int>> spread) => string.Join("; ", spread.Select(role =>
        $"{role.Key} {string.Join(" ", role.Value.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}={c.Value}"))} (max/min {role.Value.Values.Max()}/{role.Value.Values.Min()})"));

    private static async Task<int> RunningAsync(ClusterCalls workers, IEnumerable<RoleEndpoint> decodeWorkers, CancellationToken cancellationToken)
    {
        var running = 0;
        foreach (var worker in decodeWorkers)
        {
            var s = await workers.StatusAsync(worker, cancellationToken);
            running += (int)(s.RunningRequests + s.WaitingRequests + s.KvReservations);
        }

        return running;
    }

    private static async Task<bool> AllKvFreeAsync(ClusterCalls workers, IEnumerable<RoleEndpoint> decodeWorkers, CancellationToken cancellationToken)
    {
        foreach (var worker in decodeWorkers)
        {
            var s = await workers.StatusAsync(worker, cancellationToken);
            if (s.KvBlocksFree != s.KvBlocksTotal)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The router's <c>cluster_router_tier_admitted_requests</c> per worker, from its /metrics page.</summary>
    private static async Task<Dictionary<string, double>> AdmittedAsync(RoleEndpoint router, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClusterFixture.ClusterToken);
        var page = await http.GetStringAsync(new Uri(router.Http, "/metrics"), cancellationToken);
        return page.Split('\n')
            .Where(l => l.StartsWith(Gauge + "{", StringComparison.Ordinal))
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
