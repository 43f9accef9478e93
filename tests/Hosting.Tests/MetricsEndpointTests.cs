using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Hosting.Tests;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_TwoHostsInOneProcess_EachServesOnlyItsOwnMeters()
    {
        await using var a = await TestHost.StartAsync();
        await using var b = await TestHost.StartAsync();
        Record(a, things: 1, seconds: 0.12);
        Record(b, things: 5, seconds: 7);

        (await a.Http.GetAsync("/healthz")).Dispose(); // one finished HTTP request for the ASP.NET Core instrumentation

        var text = await a.Http.GetStringAsync("/metrics");

        var things = text.Split('\n').Where(l => l.StartsWith("cluster_test_things_total", StringComparison.Ordinal)).ToList();
        Assert.Single(things);
        Assert.EndsWith(" 1", things[0].Split(" #")[0], StringComparison.Ordinal); // host b's 5 is not here
        // Explicit second buckets (HistogramBuckets.Seconds), not the millisecond defaults: 0.12 s falls in le=0.15.
        Assert.Contains("cluster_test_wait_seconds_bucket{otel_scope_name=\"Cluster.Test\",le=\"0.1\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("cluster_test_wait_seconds_bucket{otel_scope_name=\"Cluster.Test\",le=\"0.15\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal); // ASP.NET Core instrumentation
    }

    [Fact]
    public async Task Metrics_ClusterTokenConfigured_RequiresIt()
    {
        await using var host = await TestHost.StartAsync("--Auth:ClusterToken=scrape-secret");

        using (var anonymous = await host.Http.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "scrape-secret");
        using var scraped = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.StartsWith("text/plain", scraped.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_TelemetryDisabled_NotMapped()
    {
        await using var host = await TestHost.StartAsync("--Telemetry:Enabled=false");
        using var response = await host.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static void Record(TestHost host, long things, double seconds)
    {
        var meter = host.App.Services.GetRequiredService<IMeterFactory>().Create("Cluster.Test");
        meter.CreateCounter<long>("cluster.test.things", "{thing}").Add(things);
        meter.CreateHistogram<double>("cluster.test.wait", "s").Record(seconds);
    }
}
