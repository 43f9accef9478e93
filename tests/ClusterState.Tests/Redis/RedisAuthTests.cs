using Cluster.ClusterState.Health;
using Cluster.ClusterState.Model;
using Cluster.ClusterState.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Cluster.ClusterState.Tests.Support.TestData;

namespace Cluster.ClusterState.Tests.Redis;

/// <summary>A real redis-server with requirepass: the registry works with ClusterState:RedisPassword, start-up fails clearly without it.</summary>
public sealed class RedisAuthTests : IAsyncLifetime
{
    private const string Password = "s3cret-for-redis-auth-tests";
    private LocalRedisServer _server = null!;

    public async Task InitializeAsync() => _server = await LocalRedisServer.StartAsync(Password);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Registry_WithPassword_RegistersAndLists()
    {
        var options = Options(Password);
        using var connection = Connect(options);
        var registry = new RedisWorkerRegistry(connection, TimeProvider.System, options, Instruments(), NullLogger<RedisWorkerRegistry>.Instance);

        Assert.Equal(RegistryOutcome.Accepted, await registry.RegisterAsync(Info(1), Load(1)));
        Assert.Equal(W(1), Assert.Single(await registry.ListAsync()).Info.Id);
    }

    [Fact]
    public void Connect_WithoutPassword_FailsNamingTheSetting()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Connect(Options(null)));
        Assert.Contains("requires authentication and no password was given", e.Message);
        Assert.Contains("ClusterState:RedisPassword", e.Message);
    }

    [Fact]
    public void Connect_WrongPassword_FailsWithoutShowingIt()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Connect(Options("wrong-password")));
        Assert.Contains("the password given was refused", e.Message);
        Assert.DoesNotContain("wrong-password", e.Message);
    }

    [Fact]
    public void LocalServer_CommandLine_HoldsNoPassword()
    {
        var commandLine = File.ReadAllText($"/proc/{_server.ProcessId}/cmdline");
        Assert.Contains("redis-server", commandLine);
        Assert.DoesNotContain(Password, commandLine);
        Assert.DoesNotContain(Password, _server.ConnectionString);
    }

    private IOptions<ClusterStateOptions> Options(string? password) => Microsoft.Extensions.Options.Options.Create(new ClusterStateOptions
    {
        RedisConnectionString = _server.ConnectionString + ",connectTimeout=2000",
        RedisPassword = password,
        KeyPrefix = $"t{Guid.NewGuid():N}:",
        OperationTimeout = TimeSpan.FromSeconds(5),
    });

    private static RedisConnection Connect(IOptions<ClusterStateOptions> options) =>
        new(options, new ClusterStateHealth(TimeProvider.System, embedded: false), Instruments(), NullLogger<RedisConnection>.Instance);
}
