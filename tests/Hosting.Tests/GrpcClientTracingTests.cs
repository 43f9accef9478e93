using System.Diagnostics;
using Cluster.Hosting.Tests.Interop;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Cluster.Hosting.Tests;

/// <summary>
/// AddClusterTelemetry's Grpc.Net.Client instrumentation: an outgoing gRPC call gets one client span with the rpc.*
/// attributes (no HttpClient span beside it: downstream instrumentation is suppressed), and the host's server span for
/// that call is its child.
/// </summary>
public sealed class GrpcClientTracingTests
{
    [Fact]
    public async Task OutgoingCall_OneGrpcClientSpan_WithRpcTags_ParentOfTheServerSpan()
    {
        var spans = new SpanList();
        await using var host = await TestHost.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton(new InteropEchoService());
                builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            },
            app => app.MapGrpcService<InteropEchoService>());
        var traceId = ActivityTraceId.CreateRandom();
        using (new Activity("test").SetParentId(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
        {
            await host.Channel.CreateCallInvoker().AsyncUnaryCall(
                EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow + Bounded.Timeout), EchoMethods.Text("traced"));
        }

        // The server span ends after the response is written: wait (bounded) until the provider has exported it.
        var server = await WaitForAsync(() => spans.Snapshot().FirstOrDefault(s => s.TraceId == traceId && s.Kind == ActivityKind.Server));
        var inTrace = spans.Snapshot().Where(s => s.TraceId == traceId).ToList();
        var listing = string.Join("\n", inTrace.Select(s => $"{s.Kind} {s.DisplayName} {s.OperationName} {s.ParentSpanId} {s.SpanId} {string.Join(",", s.TagObjects.Select(t => t.Key + "=" + t.Value))}"));
        var client = Assert.Single(inTrace, s => s.Kind == ActivityKind.Client);
        // The package's (development-status) RPC conventions: rpc.system.name, rpc.method = service/method, status name.
        Assert.True("grpc" == client.GetTagItem("rpc.system.name") as string, $"No gRPC client span (rpc.system.name=grpc) in:\n{listing}");
        Assert.Equal($"{EchoMethods.ServiceName}/Unary", client.GetTagItem("rpc.method"));
        Assert.Equal("OK", client.GetTagItem("rpc.response.status_code"));
        Assert.Equal("Grpc.Net.Client.GrpcOut", client.OperationName);
        Assert.Equal(client.SpanId, server.ParentSpanId);
    }

    private static async Task<Activity> WaitForAsync(Func<Activity?> find)
    {
        using var timeout = new CancellationTokenSource(Bounded.Timeout);
        var found = find();
        while (found is null)
        {
            await Task.Delay(20, timeout.Token); // a bounded poll for the exporter
            found = find();
        }

        return found;
    }

    /// <summary>The exporter's collection; spans are added from whichever thread ends them.</summary>
    private sealed class SpanList : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count { get { lock (_items) { return _items.Count; } } }

        public bool IsReadOnly => false;

        public List<Activity> Snapshot() { lock (_items) { return [.. _items]; } }

        public void Add(Activity item) { lock (_items) { _items.Add(item); } }

        public void Clear() { lock (_items) { _items.Clear(); } }

        public bool Contains(Activity item) { lock (_items) { return _items.Contains(item); } }

        public void CopyTo(Activity[] array, int arrayIndex) { lock (_items) { _items.CopyTo(array, arrayIndex); } }

        public bool Remove(Activity item) { lock (_items) { return _items.Remove(item); } }

        public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
