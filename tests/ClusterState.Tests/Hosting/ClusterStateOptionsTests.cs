using Cluster.ClusterState.Health;
using Cluster.ClusterState.InMemory;
using Cluster.ClusterState.Redis;
using Cluster.ClusterState.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Cluster.ClusterState.Tests.Hosting;

public sealed class ClusterStateOptionsTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new ClusterStateOptionsValidator().Validate(null, new ClusterStateOptions()).Succeeded);
    }

    [Theory]
    [InlineData("KeyPrefix", "", "ClusterState:KeyPrefix")]
    [InlineData("KeyPrefix", "a b", "ClusterState:KeyPrefix")]
    [InlineData("HeartbeatTtl", "00:00:00.010", "ClusterState:HeartbeatTtl")]
    [InlineData("SweepInterval", "00:01:00", "ClusterState:SweepInterval")]
    [InlineData("OperationTimeout", "00:00:00", "ClusterState:OperationTimeout")]
    [InlineData("RedisConnectionString", ",,,", "ClusterState:RedisConnectionString")]
    public void AddClusterState_BadSetting_FailsNamingTheSetting(string key, string value, string expected)
    {
        using var services = Build(new() { [$"ClusterState:{key}"] = value });

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ClusterStateOptions>>().Value);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddClusterState_NoRedis_RegistersInMemoryAndHealthyEmbedded()
    {
        using var services = Build([]);

        Assert.IsType<InMemoryPrefixIndex>(services.GetRequiredService<IPrefixIndex>());
        Assert.IsType<InMemoryWorkerRegistry>(services.GetRequiredService<IWorkerRegistry>());
        Assert.Equal(ClusterStateStatus.Embedded, services.GetRequiredService<ClusterStateHealth>().Status);
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    [Fact]
    public async Task AddClusterState_WithRedis_RegistersRedisImplementationsThatWork()
    {
        using var services = Build(new() { ["ClusterState:RedisConnectionString"] = redis.Server.ConnectionString, ["ClusterState:KeyPrefix"] = "di:" });

        var index = Assert.IsType<RedisPrefixIndex>(services.GetRequiredService<IPrefixIndex>());
        Assert.IsType<RedisWorkerRegistry>(services.GetRequiredService<IWorkerRegistry>());
        await index.ApplyAsync(TestData.Stored(TestData.W(1), 1, TestData.Blocks(1, 2)));
        Assert.Equal(2, (await index.FindOverlapAsync(TestData.ModelA, TestData.Blocks(1, 2))).MatchedBlocks(TestData.W(1)));
        Assert.True(await redis.Admin.KeyExistsAsync("di:org/model-a:wrk:worker-1"));
        Assert.Equal(ClusterStateStatus.Available, services.GetRequiredService<ClusterStateHealth>().Status);
    }

    [Fact]
    public async Task HealthCheck_RedisUnreachable_ReportsDegraded()
    {
        var health = new ClusterStateHealth(TimeProvider.System, embedded: false);
        health.ReportFailure("connection refused");

        var result = await new ClusterStateHealthCheck(health).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("connection refused", result.Description, StringComparison.Ordinal);
        Assert.True(health.ReportSuccess());
        Assert.Equal(HealthStatus.Healthy, (await new ClusterStateHealthCheck(health).CheckHealthAsync(new HealthCheckContext())).Status);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddClusterState(configuration).BuildServiceProvider();
    }
}
