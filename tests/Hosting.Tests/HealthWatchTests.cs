using System.Net;
using Cluster.Hosting.HealthChecks;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Hosting.Tests;

/// <summary>grpc.health.v1 Watch (Grpc.AspNetCore.HealthChecks) follows <see cref="Readiness"/> at once, not per publisher period.</summary>
public sealed class HealthWatchTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Watch_BlockThenUnblock_StreamsEachChange_WithoutWaitingForThePeriodicPublisher()
    {
        // The periodic publisher is pushed out to an hour: only ReadinessPublisher can deliver the changes within the bound.
        await using var host = await TestHost.StartAsync(
            b => b.Services.PostConfigure<HealthCheckPublisherOptions>(o => (o.Delay, o.Period) = (TimeSpan.FromHours(1), TimeSpan.FromHours(1))),
            _ => { });
        var readiness = host.App.Services.GetRequiredService<Readiness>();
        using var bound = new CancellationTokenSource(Bound);
        using var watch = new Health.HealthClient(host.Channel).Watch(new HealthCheckRequest(), cancellationToken: bound.Token);
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch, bound.Token));

        readiness.Block("workers", "no live decode worker");
        Assert.Equal(ServingStatus.NotServing, await NextAsync(watch, bound.Token));

        readiness.Unblock("workers");
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch, bound.Token));
    }

    [Fact]
    public async Task Readyz_AnotherReadyTaggedCheckFails_503WithItsDescription_GrpcNotServing()
    {
        // /readyz and grpc.health.v1 read the same ASP.NET Core health checks: a role's own check counts in both.
        await using var host = await TestHost.StartAsync(
            b => b.Services.AddHealthChecks().AddCheck("model", () => HealthCheckResult.Unhealthy("model not loaded"), [ReadinessHealthCheck.ReadyTag]),
            _ => { });
        using var response = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("model not loaded", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var check = await new Health.HealthClient(host.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(ServingStatus.NotServing, check.Status);
    }

    [Fact]
    public async Task Readyz_AnUntaggedCheckFails_StillReady_GrpcServing()
    {
        // Only "ready"-tagged checks decide readiness, in /readyz and grpc.health.v1 alike.
        await using var host = await TestHost.StartAsync(
            b => b.Services.AddHealthChecks().AddCheck("other", () => HealthCheckResult.Unhealthy("not a readiness input")),
            _ => { });
        using var response = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var check = await new Health.HealthClient(host.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(ServingStatus.Serving, check.Status);
    }

    [Fact]
    public async Task Publisher_StaleReport_PublishesTheChecksAsTheyAreNow()
    {
        // A periodic report taken before Block must not reach Watch after it: the wrapped publisher reruns the checks.
        // HealthServiceImpl is the cache Watch streams from (its Check reads that cache and ignores the call context).
        await using var host = await TestHost.StartAsync(
            b => b.Services.PostConfigure<HealthCheckPublisherOptions>(o => (o.Delay, o.Period) = (TimeSpan.FromHours(1), TimeSpan.FromHours(1))),
            _ => { });
        var readiness = host.App.Services.GetRequiredService<Readiness>();
        var cache = host.App.Services.GetRequiredService<HealthServiceImpl>();
        var publisher = Assert.IsType<FreshReportPublisher>(Assert.Single(host.App.Services.GetServices<IHealthCheckPublisher>()));
        var stale = await host.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, stale.Status);

        using var bound = new CancellationTokenSource(Bound);
        using var watch = new Health.HealthClient(host.Channel).Watch(new HealthCheckRequest(), cancellationToken: bound.Token);
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch, bound.Token));
        readiness.Block("workers", "no live decode worker");
        Assert.Equal(ServingStatus.NotServing, await NextAsync(watch, bound.Token)); // ReadinessPublisher's publish is done

        await publisher.PublishAsync(stale, bound.Token); // what the periodic publisher would hand on late

        Assert.Equal(ServingStatus.NotServing, (await cache.Check(new HealthCheckRequest(), null!)).Status);
    }

    private static async Task<ServingStatus> NextAsync(AsyncServerStreamingCall<HealthCheckResponse> watch, CancellationToken cancellationToken)
    {
        Assert.True(await watch.ResponseStream.MoveNext(cancellationToken), "the Watch stream ended");
        return watch.ResponseStream.Current.Status;
    }
}
