using System.Collections.Concurrent;
using System.Diagnostics;
using Cluster.Cli.Up;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Cluster.Integration.Tests;

/// <summary>
/// One request through the one-process cluster (router, prefill, decode) is one trace: the client's traceparent is
/// honoured, and the router's spans, the workers' server spans and both ends of the KV transfer share its trace id
/// (in-memory exporter on every host).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TracingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task OneRequest_ClientTraceparent_OneTraceAcrossRouterPrefillTransferAndDecode()
    {
        using var cts = new CancellationTokenSource(Bound);
        var exported = new ConcurrentBag<SpanList>();
        await using var cluster = await StartAsync(exported, cts.Token);
        var traceId = ActivityTraceId.CreateRandom();
        using var calls = new ClusterCalls(cluster);
        var generate = calls.Greedy(Prompts.Make(9000, 40), 4, ignoreEos: true); // ignore EOS: the decode worker runs too
        // The client's own trace: its span is current while it calls, so its traceparent goes out with the call (the test
        // process's HttpClient is instrumented by the hosts' providers and sends the context of its own child span).
        using var client = new Activity("client").SetParentId(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();

        using (var call = calls.Inference.Generate(generate, new CallOptions(deadline: DateTime.UtcNow + Bound, cancellationToken: cts.Token)))
        {
            var tokens = 0;
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cts.Token))
            {
                tokens += chunk.TokenIds.Count;
            }

            Assert.Equal(4, tokens);
        }

        string[] expected = ["router.request", "reserve", "prefill", "decode", "kv_transfer.push", "kv_transfer.receive"];
        // (cluster up's start-up probe sent a request of its own before: another trace.)
        var exportedAll = Task.Run(async () =>
        {
            while (!expected.All(name => Spans().Any(s => s.DisplayName == name && s.TraceId == traceId)))
            {
                await Task.Yield();
                await Task.Delay(50, cts.Token); // a bounded poll for the exporters (spans end after the response)
            }
        }, cts.Token);
        await Task.WhenAny(exportedAll, Task.Delay(TimeSpan.FromSeconds(20), cts.Token));
        var spans = Spans();
        var listing = string.Join("\n", spans.OrderBy(s => s.StartTimeUtc).Select(s => $"{s.TraceId} {s.ParentSpanId} {s.SpanId} {s.Kind} {s.DisplayName}"));
        Assert.All(expected, name => Assert.True(spans.Count(s => s.DisplayName == name && s.TraceId == traceId) == 1, $"{name} in trace {traceId}:\n{listing}"));
        // The workers' server spans (ASP.NET Core) for the calls the router made are in the same trace.
        var serverPaths = spans.Where(s => s.Kind == ActivityKind.Server && s.TraceId == traceId).Select(s => s.GetTagItem("url.path") as string).ToHashSet();
        Assert.Contains("/cluster.v1.Worker/Reserve", serverPaths);
        Assert.Contains("/cluster.v1.Worker/Prefill", serverPaths);
        Assert.Contains("/cluster.v1.Worker/Decode", serverPaths);
        Assert.Contains("/cluster.v1.KvTransfer/Push", serverPaths);
        Assert.Contains("/cluster.v1.Inference/Generate", serverPaths);
        // The router's and the prefill worker's outgoing calls are Grpc.Net.Client spans (AddGrpcClientInstrumentation),
        // each the parent of the callee's server span.
        foreach (var method in new[] { "cluster.v1.Worker/Prefill", "cluster.v1.Worker/Decode", "cluster.v1.KvTransfer/Push" })
        {
            var call = spans.FirstOrDefault(s => s.TraceId == traceId && s.Kind == ActivityKind.Client && s.GetTagItem("rpc.method") as string == method);
            Assert.True(call is not null, $"No gRPC client span for {method} in trace {traceId}:\n{listing}");
            Assert.Equal("grpc", call.GetTagItem("rpc.system.name"));
            Assert.Contains(spans, s => s.Kind == ActivityKind.Server && s.ParentSpanId == call.SpanId && s.GetTagItem("url.path") as string == "/" + method);
        }

        // Every host exports every span of this process (one ActivitySource per host, shared listeners): dedupe by id.
        List<Activity> Spans()
        {
            var all = new Dictionary<ActivitySpanId, Activity>();
            foreach (var span in exported.SelectMany(list => list.Snapshot()))
            {
                all.TryAdd(span.SpanId, span);
            }

            return [.. all.Values];
        }
    }

    [Fact]
    public async Task OneOpenAiHttpRequest_ClientTraceparentHeader_ContinuedIntoTheRouterAndWorkerSpans()
    {
        using var cts = new CancellationTokenSource(Bound);
        var exported = new ConcurrentBag<SpanList>();
        await using var cluster = await StartAsync(exported, cts.Token);
        var traceId = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        // No propagator: this process's HttpClient instrumentation would otherwise replace the header with its own span's.
        using var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = cluster.RouterHttp };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"model":"tiny","prompt":"Hello from a traced client","max_tokens":4,"ignore_eos":true}""", System.Text.Encoding.UTF8, "application/json"),
        };
        // The client's own context, sent as a non-.NET client would.
        request.Headers.Add("traceparent", $"00-{traceId}-{parent}-01");

        using var response = await http.SendAsync(request, cts.Token);

        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync(cts.Token)}");
        string[] expected = ["router.request", "reserve", "prefill", "decode", "kv_transfer.push", "kv_transfer.receive"];
        var spans = await SpansOfAsync(exported, traceId, expected, cts.Token);
        var listing = string.Join("\n", spans.OrderBy(s => s.StartTimeUtc).Select(s => $"{s.TraceId} {s.ParentSpanId} {s.SpanId} {s.Kind} {s.DisplayName}"));
        Assert.All(expected, name => Assert.True(spans.Count(s => s.DisplayName == name && s.TraceId == traceId) == 1, $"{name} in trace {traceId}:\n{listing}"));
        var server = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.TraceId == traceId && s.GetTagItem("url.path") as string == "/v1/completions");
        Assert.Equal(parent, server.ParentSpanId); // the router's HTTP server span is the child of the client's span
        var routerRequest = Assert.Single(spans, s => s.DisplayName == "router.request" && s.TraceId == traceId);
        Assert.Equal(server.SpanId, routerRequest.ParentSpanId);
    }

    // A one-process cluster (1 prefill + 1 decode, every request disaggregated) whose hosts export spans into exported.
    private static Task<InProcessCluster> StartAsync(ConcurrentBag<SpanList> exported, CancellationToken cancellationToken)
    {
        var spec = new ClusterSpec
        {
            ModelPath = TestModel.Path,
            ModelId = TestModel.Id,
            RouterGrpcPort = 0,
            RouterHttpPort = 0,
            PrefillWorkers = 1,
            DecodeWorkers = 1,
            Settings = new Dictionary<string, string> { ["Routing:DisaggregationPolicy"] = "threshold" },
        };
        return InProcessCluster.StartAsync(spec, Deadline.ClusterStart, cancellationToken: cancellationToken, configureHosts: builder =>
        {
            var spans = new SpanList();
            exported.Add(spans);
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
        });
    }

    // Every span of traceId once each expected name is among them (exporters run after the response), bounded.
    private static async Task<List<Activity>> SpansOfAsync(ConcurrentBag<SpanList> exported, ActivityTraceId traceId, string[] expected, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(20));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!expected.All(name => Spans(exported).Any(s => s.DisplayName == name && s.TraceId == traceId)))
        {
            try
            {
                await timer.WaitForNextTickAsync(bound.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break; // the assertions name what is missing
            }
        }

        return Spans(exported);
    }

    // Every host exports every span of this process (one ActivitySource per host, shared listeners): dedupe by id.
    private static List<Activity> Spans(ConcurrentBag<SpanList> exported)
    {
        var all = new Dictionary<ActivitySpanId, Activity>();
        foreach (var span in exported.SelectMany(list => list.Snapshot()))
        {
            all.TryAdd(span.SpanId, span);
        }

        return [.. all.Values];
    }

    /// <summary>The in-memory exporter's collection, safe to read while a host exports into it.</summary>
    private sealed class SpanList : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count { get { lock (_items) { return _items.Count; } } }

        public bool IsReadOnly => false;

        public Activity[] Snapshot() { lock (_items) { return [.. _items]; } }

        public void Add(Activity item) { lock (_items) { _items.Add(item); } }

        public void Clear() { lock (_items) { _items.Clear(); } }

        public bool Contains(Activity item) { lock (_items) { return _items.Contains(item); } }

        public void CopyTo(Activity[] array, int arrayIndex) { lock (_items) { _items.CopyTo(array, arrayIndex); } }

        public bool Remove(Activity item) { lock (_items) { return _items.Remove(item); } }

        public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)Snapshot()).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
