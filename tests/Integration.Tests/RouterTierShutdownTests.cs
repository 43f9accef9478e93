using System.Diagnostics;
using Cluster.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Cluster.Integration.Tests;

/// <summary>
/// A router whose silo is Redis-clustered stops on SIGTERM also when its Redis is gone (the way `cluster up` killed with
/// kill -9 leaves it; the parent watch stops the host the same way): within about twice
/// <c>RouterTier:MembershipWriteTimeout</c> (5 s) after the host's shutdown timeout, where Orleans' membership writes kept it alive for two minutes before.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RouterTierShutdownTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(45); // about 20 s expected (ARCHITECTURE §6), 2 min before the fix

    [Fact]
    public async Task RedisGone_Sigterm_StopsTheRouterWithinTheBound()
    {
        _ = fixture;
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 1, new Dictionary<string, string>
        {
            ["RouterTier:Enabled"] = "true", // one router, but with its Redis-clustered silo
        }));
        var pid = cluster.Process("router").Id;

        await cluster.Redis!.StopAsync();
        using (var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        var stopping = Stopwatch.StartNew();
        await Deadline.UntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), StopBound,
            $"router (pid {pid}) exited after SIGTERM with its Redis gone; log: {cluster.Process("router").LogTail(10)}");
        output.WriteLine($"router exited {stopping.Elapsed.TotalSeconds:F1} s after SIGTERM with Redis gone");
    }
}
