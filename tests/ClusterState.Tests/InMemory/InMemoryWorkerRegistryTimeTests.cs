using Cluster.ClusterState.InMemory;
using Cluster.ClusterState.Model;
using Cluster.ClusterState.Tests.Support;
using Microsoft.Extensions.Options;
using static Cluster.ClusterState.Tests.Support.TestData;
using Cluster.Tests.Shared;

namespace Cluster.ClusterState.Tests.InMemory;

/// <summary>TTL edges on fake time (Redis keeps its own clock; its TTL refresh is checked with PTTL in RedisLayoutTests).</summary>
public sealed class InMemoryWorkerRegistryTimeTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private readonly ManualTimeProvider _time = new();
    private readonly InMemoryWorkerRegistry _registry;

    public InMemoryWorkerRegistryTimeTests() =>
        _registry = new InMemoryWorkerRegistry(new InMemoryPrefixIndex(Instruments()), _time, Options.Create(new ClusterStateOptions { HeartbeatTtl = Ttl }), Instruments());

    [Fact]
    public async Task Heartbeat_BeforeTtl_KeepsWorkerLivePastTheFirstTtl()
    {
        await _registry.RegisterAsync(Info(1), Load(1));
        _time.Advance(Ttl * 0.6);
        Assert.Equal(RegistryOutcome.Accepted, await _registry.HeartbeatAsync(W(1), Load(2)));
        _time.Advance(Ttl * 0.6);

        Assert.Single(await _registry.ListAsync());
        Assert.Equal(0, await _registry.RemoveExpiredAsync());
    }

    [Fact]
    public async Task Liveness_ExactlyAtTtl_IsDead_OneTickBefore_IsLive()
    {
        await _registry.RegisterAsync(Info(1), Load(1));
        _time.Advance(Ttl - TimeSpan.FromTicks(1));
        Assert.Single(await _registry.ListAsync());

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Empty(await _registry.ListAsync());
        Assert.Equal(RegistryOutcome.NotRegistered, await _registry.HeartbeatAsync(W(1), Load(1)));
    }
}
