using Cluster.ClusterState.Health;
using Cluster.ClusterState.Redis;
using Cluster.ClusterState.Tests.Support;
using Cluster.Core.Ids;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Cluster.ClusterState.Tests.Redis;

public sealed class RedisWorkerRegistryContractTests(RedisServerFixture redis) : Contract.WorkerRegistryContractTests, IClassFixture<RedisServerFixture>
{
    private RedisConnection? _connection;

    protected override Task<(IWorkerRegistry Registry, IPrefixIndex Index)> CreateAsync()
    {
        _connection = redis.Connect(new ClusterStateHealth(TimeProvider.System, embedded: false), heartbeatTtl: DefaultTtl);
        var instruments = TestData.Instruments();
        var options = Options.Create(new ClusterStateOptions { HeartbeatTtl = DefaultTtl });
        var index = new RedisPrefixIndex(_connection, instruments, NullLogger<RedisPrefixIndex>.Instance);
        var registry = new RedisWorkerRegistry(_connection, Time, options, instruments, NullLogger<RedisWorkerRegistry>.Instance);
        return Task.FromResult<(IWorkerRegistry, IPrefixIndex)>((registry, index));
    }

    /// <summary>Real Redis expiry: the heartbeat key's TTL is cut to 1 ms and we poll until it is gone.</summary>
    protected override Task LetHeartbeatLapseAsync(WorkerId worker) => redis.ExpireNowAsync(_connection!.Keys.Heartbeat(worker));

    public override Task DisposeAsync()
    {
        _connection?.Dispose();
        return Task.CompletedTask;
    }
}
