using System.Net;
using Cluster.Hosting.HealthChecks;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Hosting.Tests;

public sealed class ReadinessTests
{
    [Fact]
    public async Task Block_StartedHost_ReadyzAndGrpcNotServingWithReason_HealthzAndLivezStayUp_UnblockServesAgain()
    {
        await using var host = await TestHost.StartAsync();
        var readiness = host.App.Services.GetRequiredService<Readiness>();
        var health = new Health.HealthClient(host.Channel);

        readiness.Block("workers", "no live decode worker");

        using (var response = await host.Http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("no live decode worker", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
        using (var live = await host.Http.GetAsync("/livez"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using (var healthz = await host.Http.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode); // liveness: a host that is not ready is not restarted
            Assert.Contains("\"live\":true", await healthz.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        readiness.Unblock("workers");
        using var ready = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    [Fact]
    public async Task Degrade_StartedHost_ReadyzStays200AndSaysWhat_RestoreClearsIt()
    {
        await using var host = await TestHost.StartAsync();
        var readiness = host.App.Services.GetRequiredService<Readiness>();

        readiness.Degrade("prefix-index", "prefix index unreachable: routing on load only");

        using (var response = await host.Http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"degraded\":\"prefix index unreachable: routing on load only\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        readiness.Restore("prefix-index");
        using var restored = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
        Assert.Contains("\"degraded\":null", await restored.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParentPid_NotThisProcesssParent_HostStopsItself()
    {
        // This test process is not its own parent: the watch sees the "parent" gone and stops the host (possibly while it starts).
        await using var app = ClusterHost.Build([.. TestHost.FreePortArgs, $"--Hosting:ParentPid={Environment.ProcessId}"], new ClusterHostDefaults("test", 50999, 8999));
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(stopping.SetResult);
        try
        {
            await app.StartAsync();
        }
        catch (OperationCanceledException)
        {
            // stopped before the listeners were bound
        }

        await stopping.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void Alive_ThisProcesssRealParent_True_ThisProcess_False()
    {
        Assert.False(ParentWatch.Alive(Environment.ProcessId));
        if (OperatingSystem.IsLinux())
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(ParentWatch.Alive(ppid));
        }
    }
}
