using Cluster.ClusterState.Health;
using Cluster.ClusterState.Redis;
using Cluster.ClusterState.Tests.Support;
using Cluster.Core.Ids;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Cluster.ClusterState.Tests.Redis;

public sealed class RedisPrefixIndexContractTests(RedisServerFixture redis) : Contract.PrefixIndexContractTests, IClassFixture<RedisServerFixture>
{
    private RedisConnection? _connection;

    protected override Task<IPrefixIndex> CreateIndexAsync()
    {
        _connection = redis.Connect(new ClusterStateHealth(TimeProvider.System, embedded: false));
        return Task.FromResult<IPrefixIndex>(new RedisPrefixIndex(_connection, TestData.Instruments(), NullLogger<RedisPrefixIndex>.Instance));
    }

    public override Task DisposeAsync()
    {
        _connection?.Dispose();
        return Task.CompletedTask;
    }
}
