using System.Collections.Immutable;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Cluster.Router.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;
using Cluster.Tests.Shared;

namespace Cluster.Router.Tests.Coordination;

public sealed class WorkerPoolQueueTests
{
    private static WorkerInfo Prefill(string id) => new(new WorkerId(id), WorkerRole.Prefill, Model, $"http://{id}:1", $"http://{id}:2", 1000, 8);

    [Fact]
    public async Task Candidates_OwnPrefillsFinishedSinceTheHeartbeat_NoLongerCountAsQueued()
    {
        await using var harness = Create();
        var pool = harness.Services.GetRequiredService<WorkerPool>();
        var (a, b) = (new WorkerId("p-a"), new WorkerId("p-b"));
        var leases = Enumerable.Range(0, 4).Select(_ => pool.InFlight.TrackPrefill(a, 3000)).ToList();   // a burst sent to a
        // a's heartbeat reports the burst queued (its own figure: the uncached tokens still to compute); b is idle.
        Assert.Equal(RegistryOutcome.Accepted, await harness.Registry.RegisterAsync(Prefill("p-a"), new WorkerLoad(1000, 0, 4, 12_000, 100_000, 0)));
        Assert.Equal(RegistryOutcome.Accepted, await harness.Registry.RegisterAsync(Prefill("p-b"), new WorkerLoad(1000, 0, 0, 0, 100_000, 0)));
        await pool.RefreshAsync();
        Assert.Equal(12_000, Queued(pool, a));

        leases[0].Dispose();   // a finished one: its heartbeat will say so within a second, the router knows now
        Assert.Equal(9_000, Queued(pool, a));
        foreach (var lease in leases) lease.Dispose();
        Assert.Equal(0, Queued(pool, a));

        // The next request shares a prefix that only a holds: it goes there, not to b (which would recompute 3,000 tokens).
        var policy = new CacheAwarePrefillPolicy(new Random(1));
        var overlap = new PrefixOverlap(ImmutableDictionary<WorkerId, int>.Empty.Add(a, 187), IndexAvailable: true);
        var candidates = pool.Candidates(Model, c => c.CanPrefill, new HashSet<WorkerId>());
        Assert.Equal(a, policy.Select(candidates, overlap, new RoutingRequest(3010, 16)).Chosen!.Id);

        // Other routers' work in the heartbeat stays counted until the next heartbeat says otherwise.
        Assert.Equal(RegistryOutcome.Accepted, await harness.Registry.HeartbeatAsync(b, new WorkerLoad(1000, 0, 2, 5_000, 100_000, 0)));
        await pool.RefreshAsync();
        Assert.Equal(5_000, Queued(pool, b));
    }

    [Fact]
    public async Task Candidates_PrefillFinishedAfterTheHeartbeatButBeforeTheRegistryWasRead_NoLongerCountsAsQueued()
    {
        // The heartbeat is stamped while a's prefill runs, the prefill ends, then the pool reads the registry: the
        // heartbeat's queue is stale though the read is fresh (CI: the prefix holder lost the next request this way).
        var clock = new ManualTimeProvider();
        await using var harness = Create(configure: s => s.AddSingleton<TimeProvider>(clock));
        var pool = harness.Services.GetRequiredService<WorkerPool>();
        var a = new WorkerId("p-a");
        var lease = pool.InFlight.TrackPrefill(a, 1034);
        Assert.Equal(RegistryOutcome.Accepted, await harness.Registry.RegisterAsync(Prefill("p-a"), new WorkerLoad(1000, 1, 0, 1034, 2000, 0)));
        clock.Advance(TimeSpan.FromMilliseconds(300));
        lease.Dispose();
        clock.Advance(TimeSpan.FromMilliseconds(300));
        await pool.RefreshAsync();

        Assert.Equal(0, Queued(pool, a));

        // A prefill that ended before the heartbeat was stamped is not subtracted again from a newer heartbeat's queue.
        Assert.Equal(RegistryOutcome.Accepted, await harness.Registry.HeartbeatAsync(a, new WorkerLoad(1000, 1, 0, 500, 2000, 0)));
        await pool.RefreshAsync();
        Assert.Equal(500, Queued(pool, a));
    }

    [Fact]
    public async Task Candidates_OwnPrefillsByPriority_OnlineQueueLeavesOutBatchWork_AndFinishesCountByPriority()
    {
        await using var harness = Create();
        var pool = harness.Services.GetRequiredService<WorkerPool>();
        var a = new WorkerId("p-a");
        var batch = Enumerable.Range(0, 3).Select(_ => pool.InFlight.TrackPrefill(a, 1000, RequestPriority.Low)).ToList();
        var online = pool.InFlight.TrackPrefill(a, 1000);
        Assert.Equal(new RouterInFlight(4, 4000, 0, 0, LowPriorityPrefillTokens: 3000), pool.InFlight.Get(a));

        // The heartbeat shows them all queued, 3,000 of them low.
        Assert.Equal(RegistryOutcome.Accepted, await harness.Registry.RegisterAsync(Prefill("p-a"), new WorkerLoad(1000, 0, 4, 4000, 100_000, 0, 3000)));
        await pool.RefreshAsync();
        Assert.Equal((4000, 1000), QueuedByPriority(pool, a));

        batch[0].Dispose();   // a batch prefill finished: the online queue is unchanged
        Assert.Equal((3000, 1000), QueuedByPriority(pool, a));
        online.Dispose();     // the online one finished: nothing online is ahead any more
        Assert.Equal((2000, 0), QueuedByPriority(pool, a));
        foreach (var lease in batch) lease.Dispose();
        Assert.Equal((0, 0), QueuedByPriority(pool, a));
        Assert.Equal(RouterInFlight.None, pool.InFlight.Get(a));
    }

    private static (long Total, long Normal) QueuedByPriority(WorkerPool pool, WorkerId worker) =>
        pool.Candidates(Model, _ => true, new HashSet<WorkerId>()).Single(c => c.Id == worker) is var c
            ? (c.QueuedPrefillTokens, c.QueuedNormalPriorityPrefillTokens)
            : default;

    private static long Queued(WorkerPool pool, WorkerId worker) =>
        pool.Candidates(Model, _ => true, new HashSet<WorkerId>()).Single(c => c.Id == worker).QueuedPrefillTokens;
}
