using System.Text;
using Cluster.Integration.Tests.Infrastructure;
using StackExchange.Redis;

namespace Cluster.Integration.Tests;

/// <summary>
/// No secret on a command line: the running cluster (token + API key, local redis-server with a generated password)
/// has none of them in any of its processes' /proc/PID/cmdline, and its Redis refuses clients without the password.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SecretsTests(ClusterFixture fixture)
{
    [Fact]
    public void RunningChildren_CommandLines_HoldNoSecret()
    {
        var cluster = fixture.Cluster;
        var password = cluster.Redis?.Password;
        Assert.False(string.IsNullOrEmpty(password), "the local redis-server of cluster up has no password");
        var pids = cluster.Processes.Select(p => p.Id).Append(cluster.Redis!.ProcessId!.Value).ToList();
        Assert.Equal(6, pids.Count); // router, 2 prefill, 2 decode, redis-server
        foreach (var pid in pids)
        {
            var commandLine = Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/cmdline")).Replace('\0', ' ');
            Assert.DoesNotContain(ClusterFixture.ClusterToken, commandLine, StringComparison.Ordinal);
            Assert.DoesNotContain(ClusterFixture.ApiKey, commandLine, StringComparison.Ordinal);
            Assert.DoesNotContain(password!, commandLine, StringComparison.Ordinal);
        }

        // The children still got the secrets (by environment): the router calls workers with the token and serves the key.
        var routerEnvironment = Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{cluster.Processes[0].Id}/environ"));
        Assert.Contains($"Auth__ClusterToken={ClusterFixture.ClusterToken}\0", routerEnvironment, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalRedis_WithoutPassword_RefusesCommands()
    {
        var redis = fixture.Cluster.Redis!;
        using var anonymous = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},abortConnect=false,connectTimeout=2000");
        await Assert.ThrowsAnyAsync<RedisException>(() => anonymous.GetDatabase().PingAsync());

        using var authenticated = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},abortConnect=false,connectTimeout=2000,password={redis.Password}");
        Assert.True(await authenticated.GetDatabase().SetLengthAsync("no-such-key") == 0);
    }
}
