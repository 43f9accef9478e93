using System.Globalization;
using Cluster.Contracts;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Cluster.Hosting.Tests;

/// <summary>
/// gRPC calls on a host's <c>/metrics</c> (ARCHITECTURE §9 "gRPC call metrics"): the server side as ASP.NET Core's
/// <c>http.server.request.duration</c> per method and gRPC status, the client side as System.Net.Http's
/// <c>http.client.request.duration</c> per method.
/// </summary>
public sealed class GrpcCallMetricsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ServerCalls_CountedByMethodAndGrpcStatus_WithDuration()
    {
        await using var host = await TestHost.StartAsync();
        var health = new Health.HealthClient(host.Channel);
        await health.CheckAsync(new HealthCheckRequest());
        await health.CheckAsync(new HealthCheckRequest());
        var e = await Assert.ThrowsAsync<RpcException>(async () => await health.CheckAsync(new HealthCheckRequest { Service = "no.Such" }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);

        // The server records a call when its response is complete, which may be just after the client saw it.
        var ok = await WaitForSeriesAsync(host, "http_server_request_duration_seconds_count", "http_route=\"/grpc.health.v1.Health/Check\"", "rpc_grpc_status_code=\"0\"", expected: 2);
        var notFound = await WaitForSeriesAsync(host, "http_server_request_duration_seconds_count", "http_route=\"/grpc.health.v1.Health/Check\"", "rpc_grpc_status_code=\"5\"", expected: 1);
        Assert.Equal(2, ok);
        Assert.Equal(1, notFound);
        var text = await host.Http.GetStringAsync("/metrics");
        Assert.Contains(text.Split('\n'), l => l.StartsWith("http_server_request_duration_seconds_bucket{", StringComparison.Ordinal)
            && l.Contains("http_route=\"/grpc.health.v1.Health/Check\"", StringComparison.Ordinal) && l.Contains("le=\"0.005\"", StringComparison.Ordinal)); // seconds buckets
    }

    [Fact]
    public async Task ClientCalls_ThroughGrpcClientMetricsHandler_CountedByMethod()
    {
        await using var host = await TestHost.StartAsync();
        using var channel = GrpcChannel.ForAddress(host.Endpoints.GrpcAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcClientMetricsHandler(new SocketsHttpHandler()),
        });
        await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());

        // System.Net.Http's meter belongs to the process, so this host's provider sees the test's own client calls.
        var count = await WaitForSeriesAsync(host, "http_client_request_duration_seconds_count", "rpc_method=\"grpc.health.v1.Health/Check\"", null, expected: 1);
        Assert.Equal(1, count);
    }

    /// <summary>The value of the one series named <paramref name="name"/> whose labels include both fragments, once it reaches <paramref name="expected"/> (or what it is at the bound).</summary>
    private static async Task<double> WaitForSeriesAsync(TestHost host, string name, string label, string? otherLabel, double expected)
    {
        using var bound = new CancellationTokenSource(Bound);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            var text = await host.Http.GetStringAsync("/metrics", bound.Token);
            var values = text.Split('\n')
                .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal) && (otherLabel is null || l.Contains(otherLabel, StringComparison.Ordinal)))
                .Select(l => double.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture))
                .ToList();
            if ((values.Count == 1 && values[0] >= expected) || !await tick.WaitForNextTickAsync(bound.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default))
            {
                Assert.True(values.Count == 1, $"expected one {name} series with {label} {otherLabel}, found {values.Count} in:\n{text}");
                return values[0];
            }
        }
    }
}
