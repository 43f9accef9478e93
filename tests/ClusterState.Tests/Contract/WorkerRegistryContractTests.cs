using Cluster.ClusterState.Events;
using Cluster.ClusterState.Model;
using Cluster.ClusterState.Tests.Support;
using Cluster.Core.Ids;
using static Cluster.ClusterState.Tests.Support.TestData;
using Cluster.Tests.Shared;

namespace Cluster.ClusterState.Tests.Contract;

/// <summary>The behaviour every <see cref="IWorkerRegistry"/> must have (with its <see cref="IPrefixIndex"/>); run by a subclass per implementation.</summary>
public abstract class WorkerRegistryContractTests : IAsyncLifetime
{
    /// <summary>The registry's default heartbeat TTL in these tests.</summary>
    protected static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(60);

    /// <summary>TTL of the worker a test lets die.</summary>
    protected static readonly TimeSpan ShortTtl = TimeSpan.FromSeconds(5);

    internal ManualTimeProvider Time { get; } = new();

    protected IWorkerRegistry Registry { get; private set; } = null!;

    protected IPrefixIndex Index { get; private set; } = null!;

    /// <summary>Builds a registry (default TTL <see cref="DefaultTtl"/>, clock <see cref="Time"/>) and the index it cleans.</summary>
    protected abstract Task<(IWorkerRegistry Registry, IPrefixIndex Index)> CreateAsync();

    /// <summary>Makes the heartbeat of <paramref name="worker"/> (registered with <see cref="ShortTtl"/>) lapse, and only its.</summary>
    protected abstract Task LetHeartbeatLapseAsync(WorkerId worker);

    public async Task InitializeAsync() => (Registry, Index) = await CreateAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Register_ThenList_ReturnsInfoLoadAndHeartbeatTime()
    {
        var info = Info(1, WorkerRole.Decode);
        Assert.Equal(RegistryOutcome.Accepted, await Registry.RegisterAsync(info, Load(900, 3)));

        var worker = Assert.Single(await Registry.ListAsync());
        Assert.Equal(info, worker.Info);
        Assert.Equal(Load(900, 3), worker.Load);
        Assert.Equal(Time.GetUtcNow(), worker.LastHeartbeat);
    }

    [Fact]
    public async Task List_FiltersByModelAndRole_OrderedById()
    {
        await Registry.RegisterAsync(Info(3, WorkerRole.Prefill), Load(1));
        await Registry.RegisterAsync(Info(1, WorkerRole.Decode), Load(1));
        await Registry.RegisterAsync(Info(2, WorkerRole.Prefill), Load(1));
        await Registry.RegisterAsync(Info(4, WorkerRole.Prefill, ModelB), Load(1));

        Assert.Equal(["worker-1", "worker-2", "worker-3", "worker-4"], Ids(await Registry.ListAsync()));
        Assert.Equal(["worker-2", "worker-3"], Ids(await Registry.ListAsync(ModelA, WorkerRole.Prefill)));
        Assert.Equal(["worker-1"], Ids(await Registry.ListAsync(role: WorkerRole.Decode)));
        Assert.Equal(["worker-4"], Ids(await Registry.ListAsync(ModelB)));
        Assert.Empty(await Registry.ListAsync(ModelB, WorkerRole.Colocated));
    }

    [Fact]
    public async Task Heartbeat_UpdatesLoadAndTime()
    {
        await Registry.RegisterAsync(Info(1), Load(900));
        Time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(RegistryOutcome.Accepted, await Registry.HeartbeatAsync(W(1), Load(100, 77)));

        var worker = Assert.Single(await Registry.ListAsync());
        Assert.Equal(Load(100, 77), worker.Load);
        Assert.Equal(Time.GetUtcNow(), worker.LastHeartbeat);
        Assert.Equal(Info(1), worker.Info);
    }

    [Fact]
    public async Task Heartbeat_QueuedPrefillTokensByPriority_RoundTrip()
    {
        await Registry.RegisterAsync(Info(1), Load(900));
        var load = new WorkerLoad(800, 2, 5, QueuedPrefillTokens: 7000, 12_345.5, 3, QueuedLowPriorityPrefillTokens: 6000);

        Assert.Equal(RegistryOutcome.Accepted, await Registry.HeartbeatAsync(W(1), load));

        var listed = Assert.Single(await Registry.ListAsync()).Load;
        Assert.Equal(load, listed);
        Assert.Equal((7000, 6000, 1000), (listed.QueuedPrefillTokens, listed.QueuedLowPriorityPrefillTokens, listed.QueuedNormalPriorityPrefillTokens));
    }

    [Fact]
    public async Task Heartbeat_NeverRegistered_ReturnsNotRegistered()
    {
        Assert.Equal(RegistryOutcome.NotRegistered, await Registry.HeartbeatAsync(W(9), Load(1)));
        Assert.Empty(await Registry.ListAsync());
    }

    [Fact]
    public async Task HeartbeatLapsed_WorkerLeavesListAndHeartbeatSaysNotRegistered()
    {
        await Registry.RegisterAsync(Info(1), Load(1), ShortTtl);
        await Registry.RegisterAsync(Info(2), Load(1));

        await LetHeartbeatLapseAsync(W(1));

        Assert.Equal(["worker-2"], Ids(await Registry.ListAsync()));
        Assert.Equal(RegistryOutcome.NotRegistered, await Registry.HeartbeatAsync(W(1), Load(1)));
        Assert.Equal(RegistryOutcome.Accepted, await Registry.HeartbeatAsync(W(2), Load(1)));
    }

    [Fact]
    public async Task RemoveExpired_RemovesDeadWorkerAndItsBlocks_KeepsLiveOnes()
    {
        var b = Blocks(1, 3);
        await Registry.RegisterAsync(Info(1), Load(1), ShortTtl);
        await Registry.RegisterAsync(Info(2), Load(1));
        await Index.ApplyAsync(Stored(W(1), 1, b));
        await Index.ApplyAsync(Stored(W(2), 1, b[0]));

        await LetHeartbeatLapseAsync(W(1));
        Assert.Equal(1, await Registry.RemoveExpiredAsync());

        var overlap = await Index.FindOverlapAsync(ModelA, b);
        Assert.Equal(0, overlap.MatchedBlocks(W(1)));
        Assert.Equal(1, overlap.MatchedBlocks(W(2)));
        Assert.Equal(0, await Registry.RemoveExpiredAsync());
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await Index.ApplyAsync(Stored(W(1), 2, b[0])));
    }

    [Fact]
    public async Task Register_AfterExpiry_MakesWorkerLiveAgain()
    {
        await Registry.RegisterAsync(Info(1), Load(1), ShortTtl);
        await LetHeartbeatLapseAsync(W(1));
        await Registry.RemoveExpiredAsync();

        Assert.Equal(RegistryOutcome.Accepted, await Registry.RegisterAsync(Info(1), Load(5)));
        Assert.Equal(RegistryOutcome.Accepted, await Registry.HeartbeatAsync(W(1), Load(6)));
        Assert.Equal(Load(6), Assert.Single(await Registry.ListAsync()).Load);
    }

    [Fact]
    public async Task Deregister_RemovesWorkerAndItsBlocks()
    {
        var b = Blocks(2, 2);
        await Registry.RegisterAsync(Info(1), Load(1));
        await Registry.RegisterAsync(Info(2), Load(1));
        await Index.ApplyAsync(Stored(W(1), 1, b));

        Assert.Equal(RegistryOutcome.Accepted, await Registry.DeregisterAsync(W(1)));

        Assert.Equal(["worker-2"], Ids(await Registry.ListAsync()));
        Assert.Empty((await Index.FindOverlapAsync(ModelA, b)).Blocks);
        Assert.Equal(RegistryOutcome.NotRegistered, await Registry.HeartbeatAsync(W(1), Load(1)));
    }

    [Fact]
    public async Task List_ReturnsImmutableSnapshot_LaterWritesDoNotChangeIt()
    {
        await Registry.RegisterAsync(Info(1), Load(10));
        var before = await Registry.ListAsync();

        await Registry.HeartbeatAsync(W(1), Load(20));
        await Registry.RegisterAsync(Info(2), Load(1));

        Assert.Equal(Load(10), Assert.Single(before).Load);
    }

    private static string[] Ids(IEnumerable<WorkerSnapshot> workers) => [.. workers.Select(w => w.Info.Id.Value)];
}
