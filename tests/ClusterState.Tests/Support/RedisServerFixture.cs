using System.Diagnostics;
using Cluster.ClusterState.Health;
using Cluster.ClusterState.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cluster.ClusterState.Tests.Support;

/// <summary>
/// A real redis-server on 127.0.0.1 for one test class, plus an admin connection for raw key assertions.
/// Fails (never skips) when redis-server is missing: the message says to apt-get install it.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private ConnectionMultiplexer? _admin;

    public LocalRedisServer Server { get; private set; } = null!;

    public IDatabase Admin => _admin!.GetDatabase();

    public async Task InitializeAsync()
    {
        Server = await LocalRedisServer.StartAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync($"{Server.ConnectionString},abortConnect=false,allowAdmin=true"); // KEYS (StackExchange.Redis 3.x)
    }

    public async Task DisposeAsync()
    {
        _admin?.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>A connection under a fresh key prefix, so tests sharing the server never see each other's keys.</summary>
    internal RedisConnection Connect(ClusterStateHealth health, TimeSpan? operationTimeout = null, TimeSpan? heartbeatTtl = null)
    {
        var options = Options.Create(new ClusterStateOptions
        {
            RedisConnectionString = Server.ConnectionString + ",connectTimeout=2000",
            KeyPrefix = $"t{Guid.NewGuid():N}:",
            OperationTimeout = operationTimeout ?? TimeSpan.FromSeconds(5),
            HeartbeatTtl = heartbeatTtl ?? TimeSpan.FromSeconds(60),
        });
        return new RedisConnection(options, health, TestData.Instruments(), NullLogger<RedisConnection>.Instance);
    }

    /// <summary>Sets the key's TTL to 1 ms and polls (bounded, no sleeping) until Redis reports it gone.</summary>
    public async Task ExpireNowAsync(string key)
    {
        Assert.True(await Admin.KeyExpireAsync(key, TimeSpan.FromMilliseconds(1)), $"{key} does not exist");
        var deadline = Stopwatch.StartNew();
        while (await Admin.KeyExistsAsync(key))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{key} did not expire within 30 s");
        }
    }
}
