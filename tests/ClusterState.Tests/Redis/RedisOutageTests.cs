using System.Diagnostics;
using Cluster.ClusterState.Events;
using Cluster.ClusterState.Health;
using Cluster.ClusterState.Model;
using Cluster.ClusterState.Redis;
using Cluster.ClusterState.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static Cluster.ClusterState.Tests.Support.TestData;
using Cluster.Tests.Shared;

namespace Cluster.ClusterState.Tests.Redis;

/// <summary>redis-server killed mid-run and restarted (empty): nothing throws, reads degrade, workers re-sync.</summary>
public sealed class RedisOutageTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IDisposable
{
    private readonly ManualTimeProvider _time = new();
    private readonly ClusterStateHealth _health = new(TimeProvider.System, embedded: false);
    private RedisConnection? _connection;

    [Fact]
    public async Task RedisStoppedThenRestarted_DegradesWithoutThrowing_ThenResyncRestoresIndex()
    {
        _connection = redis.Connect(_health, operationTimeout: TimeSpan.FromSeconds(2));
        var instruments = Instruments();
        var index = new RedisPrefixIndex(_connection, instruments, NullLogger<RedisPrefixIndex>.Instance);
        var registry = new RedisWorkerRegistry(_connection, _time, Options.Create(new ClusterStateOptions()), instruments, NullLogger<RedisWorkerRegistry>.Instance);
        var b = Blocks(1, 6);
        await registry.RegisterAsync(Info(1), Load(10));
        await registry.RegisterAsync(Info(2, WorkerRole.Decode), Load(20));
        Assert.Equal(IndexWriteOutcome.Applied, await index.ApplyAsync(Stored(W(1), 1, b[..4])));
        Assert.Equal(IndexWriteOutcome.Applied, await index.ApplyAsync(Stored(W(2), 1, b[..2])));
        Assert.Equal(2, (await registry.ListAsync()).Length);
        Assert.Equal(ClusterStateStatus.Available, _health.Status);

        await redis.Server.StopAsync();

        var lookup = await index.FindOverlapAsync(ModelA, b);
        Assert.False(lookup.IndexAvailable);
        Assert.Empty(lookup.Blocks);
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await index.ApplyAsync(Stored(W(1), 2, b[4])));
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await index.ReplaceAllAsync(ModelA, W(1), b, 2));
        Assert.False(await index.RemoveWorkerAsync(ModelA, W(2)));
        Assert.Equal(RegistryOutcome.Unavailable, await registry.HeartbeatAsync(W(1), Load(11)));
        Assert.Equal(RegistryOutcome.Unavailable, await registry.RegisterAsync(Info(3), Load(1)));
        Assert.Equal(RegistryOutcome.Unavailable, await registry.DeregisterAsync(W(2)));
        Assert.Equal(0, await registry.RemoveExpiredAsync());
        Assert.Equal(["worker-1", "worker-2"], (await registry.ListAsync()).Select(w => w.Info.Id.Value));
        Assert.Equal("worker-2", Assert.Single(await registry.ListAsync(role: WorkerRole.Decode)).Info.Id.Value);
        Assert.Equal(ClusterStateStatus.Unavailable, _health.Status);
        Assert.NotNull(_health.LastError);

        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connection.Multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive) { restored.TrySetResult(); }
        };
        await redis.Server.RestartAsync();
        await restored.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // Redis came back empty: the worker learns it from its heartbeat and its next batch, and re-syncs.
        // The multiplexer raises ConnectionRestored before its handshake completes: poll (bounded, no sleeping) until a call goes through.
        var deadline = Stopwatch.StartNew();
        RegistryOutcome hb;
        while ((hb = await registry.HeartbeatAsync(W(1), Load(12))) == RegistryOutcome.Unavailable)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"Redis still unavailable 30 s after reconnecting: {_health.LastError}");
            await Task.Yield();
        }

        Assert.Equal(RegistryOutcome.NotRegistered, hb);
        Assert.Equal(ClusterStateStatus.Available, _health.Status);
        Assert.Equal(RegistryOutcome.Accepted, await registry.RegisterAsync(Info(1), Load(12)));
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await index.ApplyAsync(Stored(W(1), 3, b[5])));
        Assert.Equal(IndexWriteOutcome.Applied, await index.ReplaceAllAsync(ModelA, W(1), b[..5], 3));

        var after = await index.FindOverlapAsync(ModelA, b);
        Assert.True(after.IndexAvailable);
        Assert.Equal(5, after.MatchedBlocks(W(1)));
        Assert.Equal(0, after.MatchedBlocks(W(2))); // worker 2 has not re-synced yet
        Assert.Equal(IndexWriteOutcome.Applied, await index.ApplyAsync(Stored(W(1), 4, b[5])));
        Assert.Equal(6, (await index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));
        Assert.Equal(["worker-1"], (await registry.ListAsync()).Select(w => w.Info.Id.Value));
    }

    public void Dispose() => _connection?.Dispose();
}
