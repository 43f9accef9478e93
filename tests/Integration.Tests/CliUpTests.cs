using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Cluster.Cli.Up;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary><c>cluster up --smoke</c> as users run it (the built command, a real process): the whole cluster answers one streamed chat request.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CliUpTests
{
    [Fact]
    public async Task UpSmoke_InProcess_StreamsAChatThroughTheRouterAndExitsZero()
    {
        var (exit, output) = await CliProcess.RunAsync("up", "--smoke", "--model", TestModel.Path, "--grpc-port", "0", "--http-port", "0", "--api-key", "k1-not-for-the-banner");

        Assert.True(exit == 0, output);
        Assert.Contains("embedded in-memory cluster state", output, StringComparison.Ordinal);
        Assert.Contains("smoke: OK", output, StringComparison.Ordinal);
        Assert.Contains("curl -N http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("$CLUSTER_API_KEY", output, StringComparison.Ordinal);
        Assert.DoesNotContain("k1-not-for-the-banner", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpSmoke_WithRedisAndChildProcesses_StreamsAChatAndLeavesNoProcessBehind()
    {
        var logs = Directory.CreateTempSubdirectory("cluster-up-test-").FullName;
        var (exit, output) = await CliProcess.RunAsync("up", "--smoke", "--redis", "--model", TestModel.Path, "--grpc-port", "0", "--http-port", "0",
            "--prefill", "2", "--decode", "1", "--cluster-token", "t1-not-for-the-logs", "--log-dir", logs);

        Assert.True(exit == 0, output);
        Assert.Contains("local redis-server", output, StringComparison.Ordinal);
        Assert.Contains("smoke: OK", output, StringComparison.Ordinal);
        Assert.Equal(["decode-1.log", "prefill-1.log", "prefill-2.log", "router.log"], Directory.GetFiles(logs).Select(f => Path.GetFileName(f)).Order().ToArray());
        Assert.DoesNotContain("t1-not-for-the-logs", output, StringComparison.Ordinal);
        Assert.All(Directory.GetFiles(logs), log => Assert.DoesNotContain("t1-not-for-the-logs", File.ReadAllText(log), StringComparison.Ordinal));
        var router = Regex.Match(output, @"HTTP http://127\.0\.0\.1:(\d+) \(OpenAI");
        var redis = Regex.Match(output, @"redis-server at 127\.0\.0\.1:(\d+)");
        Assert.True(router.Success && redis.Success, output);
        Assert.False(await AcceptsAsync(int.Parse(router.Groups[1].Value, CultureInfo.InvariantCulture)), "the router still listens after cluster up exited");
        Assert.False(await AcceptsAsync(int.Parse(redis.Groups[1].Value, CultureInfo.InvariantCulture)), "redis-server still listens after cluster up exited");
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Up_BadWorkerCount_ExitsTwoWithAMessage()
    {
        var (exit, output) = await CliProcess.RunAsync("up", "--smoke", "--model", TestModel.Path, "--decode", "0");

        Assert.Equal(2, exit);
        Assert.Contains("--decode", output, StringComparison.Ordinal);
    }
}
