using Cluster.ClusterState.Health;
using Cluster.ClusterState.Hosting;
using Cluster.ClusterState.InMemory;
using Cluster.ClusterState.Redis;
using Cluster.ClusterState.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Cluster.ClusterState.Tests.Support.TestData;
using Cluster.Tests.Shared;

namespace Cluster.ClusterState.Tests.Hosting;

/// <summary>The background sweeper on fake time: a tick after a worker died removes it and its blocks; it stops cleanly.</summary>
public sealed class ExpiredWorkerSweeperTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly IOptions<ClusterStateOptions> Settings = Options.Create(new ClusterStateOptions
    {
        HeartbeatTtl = TimeSpan.FromSeconds(5),
        SweepInterval = TimeSpan.FromSeconds(1),
    });

    [Fact]
    public async Task InMemory_TickAfterExpiry_RemovesDeadWorkerAndBlocks()
    {
        var time = new ManualTimeProvider();
        var index = new InMemoryPrefixIndex(Instruments());
        var registry = new InMemoryWorkerRegistry(index, time, Settings, Instruments());
        await registry.RegisterAsync(Info(1), Load(1));
        await index.ApplyAsync(Stored(W(1), 1, Blocks(1, 2)));

        await RunSweeperAsync(registry, time, () => time.Advance(Settings.Value.HeartbeatTtl));

        Assert.Empty(await registry.ListAsync());
        Assert.Empty((await index.FindOverlapAsync(ModelA, Blocks(1, 2))).Blocks);
    }

    [Fact]
    public async Task Redis_TickAfterHeartbeatKeyExpired_RemovesDeadWorkerAndBlocks()
    {
        var time = new ManualTimeProvider();
        using var connection = redis.Connect(new ClusterStateHealth(TimeProvider.System, embedded: false));
        var index = new RedisPrefixIndex(connection, Instruments(), NullLogger<RedisPrefixIndex>.Instance);
        var registry = new RedisWorkerRegistry(connection, time, Settings, Instruments(), NullLogger<RedisWorkerRegistry>.Instance);
        await registry.RegisterAsync(Info(1), Load(1));
        await registry.RegisterAsync(Info(2), Load(1));
        await index.ApplyAsync(Stored(W(1), 1, Blocks(1, 2)));
        await index.ApplyAsync(Stored(W(2), 1, Blocks(1, 1)));
        await redis.ExpireNowAsync(connection.Keys.Heartbeat(W(1)));

        await RunSweeperAsync(registry, time, () => time.Advance(Settings.Value.SweepInterval));

        Assert.Equal("worker-2", Assert.Single(await registry.ListAsync()).Info.Id.Value);
        var overlap = await index.FindOverlapAsync(ModelA, Blocks(1, 2));
        Assert.Equal(0, overlap.MatchedBlocks(W(1)));
        Assert.Equal(1, overlap.MatchedBlocks(W(2)));
        Assert.False(await redis.Admin.KeyExistsAsync(connection.Keys.WorkerBlocks(ModelA, W(1))));
    }

    private static async Task RunSweeperAsync(IWorkerRegistry registry, ManualTimeProvider time, Action advance)
    {
        using var sweeper = new ExpiredWorkerSweeper(registry, time, Settings, NullLogger<ExpiredWorkerSweeper>.Instance);
        var removedOne = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sweeper.Swept += n =>
        {
            if (n > 0) { removedOne.TrySetResult(); }
        };

        await sweeper.StartAsync(CancellationToken.None);
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        advance();
        await removedOne.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await sweeper.StopAsync(CancellationToken.None);
        Assert.True(sweeper.ExecuteTask!.IsCompletedSuccessfully);
    }
}
