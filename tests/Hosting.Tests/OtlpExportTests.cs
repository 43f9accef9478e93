using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Hosting.Tests;

/// <summary><c>Telemetry:OtlpEndpoint</c>: a host exports its metrics and traces over OTLP (gRPC) to a receiver on 127.0.0.1.</summary>
public sealed class OtlpExportTests
{
    private const string TraceExport = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    private const string MetricsExport = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

    private static readonly ActivitySource Source = new("Cluster.Test.Otlp");

    [Fact]
    public async Task OtlpEndpointConfigured_MetricsAndTracesArriveAtTheReceiver()
    {
        var received = new ConcurrentQueue<(string Path, long Bytes)>();
        await using var receiver = await StartReceiverAsync(received);
        var endpoint = receiver.Urls.First();
        await using var host = await TestHost.StartAsync(
            $"--Telemetry:OtlpEndpoint={endpoint}", "--OTEL_METRIC_EXPORT_INTERVAL=100", "--OTEL_BSP_SCHEDULE_DELAY=100");

        host.App.Services.GetRequiredService<IMeterFactory>().Create("Cluster.Test").CreateCounter<long>("cluster.test.exported").Add(1);
        using (Source.StartActivity("otlp-test-span"))
        {
        }

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!(received.Any(r => r.Path == TraceExport && r.Bytes > 0) && received.Any(r => r.Path == MetricsExport && r.Bytes > 0)))
        {
            Assert.True(await timer.WaitForNextTickAsync(bound.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default),
                $"no OTLP trace and metrics export within 30 s; received: {string.Join(", ", received.Select(r => r.Path).Distinct())}");
        }
    }

    // Answers every OTLP/gRPC Export with an empty message and status OK, recording the method and the request size.
    private static async Task<WebApplication> StartReceiverAsync(ConcurrentQueue<(string Path, long Bytes)> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapPost("/{**method}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Enqueue((context.Request.Path.Value ?? "", body.Length));
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "0");
            await context.Response.Body.WriteAsync(new byte[5]); // one empty message: not compressed, length 0
        });
        await app.StartAsync();
        return app;
    }
}
