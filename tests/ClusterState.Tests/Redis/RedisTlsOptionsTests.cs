using Cluster.ClusterState.Health;
using Cluster.ClusterState.Redis;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using static Cluster.ClusterState.Tests.Support.TestData;

namespace Cluster.ClusterState.Tests.Redis;

/// <summary>Issue 21 (2d): <c>ClusterState:RedisTls</c> and <c>ClusterState:RedisPassword</c> reach the StackExchange.Redis
/// configuration, and the password never reaches a log line.</summary>
public sealed class RedisTlsOptionsTests
{
    private const string Password = "pw-tls-options-9f3a";

    [Fact]
    public void Configuration_TlsOn_SslAndThePasswordOption()
    {
        var configuration = RedisConnection.Configuration(new ClusterStateOptions
        {
            RedisConnectionString = "redis.internal:6380",
            RedisPassword = Password,
            RedisTls = true,
        });

        Assert.True(configuration.Ssl);
        Assert.Equal(Password, configuration.Password);
        var endpoint = Assert.IsType<System.Net.DnsEndPoint>(Assert.Single(configuration.EndPoints));
        Assert.Equal(("redis.internal", 6380), (endpoint.Host, endpoint.Port));
    }

    [Fact]
    public void Configuration_TlsOff_NoSslUnlessTheConnectionStringAsks()
    {
        Assert.False(RedisConnection.Configuration(new ClusterStateOptions { RedisConnectionString = "redis.internal:6379" }).Ssl);
        Assert.True(RedisConnection.Configuration(new ClusterStateOptions { RedisConnectionString = "redis.internal:6380,ssl=true" }).Ssl);
    }

    [Fact]
    public void Configuration_PasswordOption_OverridesOneInTheConnectionString()
    {
        var configuration = RedisConnection.Configuration(new ClusterStateOptions
        {
            RedisConnectionString = "redis.internal:6379,password=from-the-string",
            RedisPassword = Password,
        });

        Assert.Equal(Password, configuration.Password);
    }

    [Fact]
    public async Task Connect_TlsOnToAServerWithoutTls_FailsNamingTls_NotThePassword_AndNoLogLineHoldsIt()
    {
        // A real plain redis-server with a password: the TLS handshake fails before any AUTH, so the start-up error
        // must point at TLS, not at a password no server judged; and the password shows in no message or log line.
        await using var server = await LocalRedisServer.StartAsync(Password);
        var logger = new FakeLogger<RedisConnection>();
        var options = Options.Create(new ClusterStateOptions
        {
            RedisConnectionString = server.ConnectionString + ",connectTimeout=1000",
            RedisPassword = Password,
            RedisTls = true,
            KeyPrefix = $"t{Guid.NewGuid():N}:",
            OperationTimeout = TimeSpan.FromSeconds(2),
        });

        var e = Assert.Throws<InvalidOperationException>(() => new RedisConnection(options, new ClusterStateHealth(TimeProvider.System, embedded: false), Instruments(), logger).Dispose());

        Assert.Contains("the TLS connection failed (ClusterState:RedisTls or ssl=true is on)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("password given was refused", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Lines(logger), line => line.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_TlsOffWithTheServersPassword_ConnectsAndNoLogLineHoldsIt()
    {
        // The same server without TLS: the password option is what authenticates (it is nowhere in the connection string).
        await using var server = await LocalRedisServer.StartAsync(Password);
        Assert.DoesNotContain(Password, server.ConnectionString, StringComparison.Ordinal);
        var logger = new FakeLogger<RedisConnection>();
        var options = Options.Create(new ClusterStateOptions
        {
            RedisConnectionString = server.ConnectionString + ",connectTimeout=2000",
            RedisPassword = Password,
            KeyPrefix = $"t{Guid.NewGuid():N}:",
            OperationTimeout = TimeSpan.FromSeconds(5),
        });

        using var connection = new RedisConnection(options, new ClusterStateHealth(TimeProvider.System, embedded: false), Instruments(), logger);
        var (ok, _) = await connection.TryAsync("ping", db => db.PingAsync(), CancellationToken.None);

        Assert.True(ok, "PING with ClusterState:RedisPassword failed");
        Assert.DoesNotContain(Lines(logger), line => line.Contains(Password, StringComparison.Ordinal));
    }

    // Every captured entry as text: the message, the exception and each structured value (a value the message leaves out counts too).
    private static IEnumerable<string> Lines(FakeLogger logger) => logger.Collector.GetSnapshot().Select(r =>
        $"{r.Message} {r.Exception} {string.Join(" ", (r.StructuredState ?? []).Select(kv => $"{kv.Key}={kv.Value}"))}");
}
