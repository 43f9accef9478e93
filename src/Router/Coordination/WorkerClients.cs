using System.Collections.Concurrent;
using Cluster.Contracts.V1;
using Cluster.Hosting.Auth;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Coordination;

/// <summary>
/// One <see cref="GrpcChannel"/> (and <see cref="Worker.WorkerClient"/>) per worker endpoint, created on first use. An
/// endpoint that leaves the live list (<see cref="Retain"/>) keeps its channel for <c>Routing:WorkerChannelGrace</c>
/// (<see cref="RoutingOptions.DefaultWorkerChannelGrace"/>) and is disposed only once it has stayed absent that long:
/// disposing a channel cancels its in-flight calls, so a registry blip (Redis restarted empty, a missed heartbeat, a
/// partial list) must not cut the streams of a healthy worker. Back in the list before then, it keeps the same channel
/// and its absence is forgotten. Every call carries <c>authorization: Bearer &lt;Auth:ClusterToken&gt;</c> when a token is
/// configured. Thread-safe.
/// </summary>
public sealed class WorkerClients : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _absentSince = new(StringComparer.Ordinal); // under _retainLock
    private readonly Lock _retainLock = new();
    private readonly IOptions<AuthOptions> _auth;
    private readonly TimeSpan _grace;
    private readonly TimeProvider _time;

    /// <param name="auth"><c>Auth:ClusterToken</c>, sent on every call.</param>
    /// <param name="routing"><c>Routing:WorkerChannelGrace</c>; default <see cref="RoutingOptions.DefaultWorkerChannelGrace"/>.</param>
    /// <param name="time">The clock the grace is measured on; default <see cref="TimeProvider.System"/>.</param>
    public WorkerClients(IOptions<AuthOptions> auth, IOptions<RoutingOptions>? routing = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(auth);
        _auth = auth;
        _grace = routing?.Value.WorkerChannelGrace ?? RoutingOptions.DefaultWorkerChannelGrace;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The client for the worker at <paramref name="grpcEndpoint"/> (e.g. <c>http://10.0.0.5:50051</c>).</summary>
    public Worker.WorkerClient For(string grpcEndpoint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(grpcEndpoint);
        return _entries.GetOrAdd(grpcEndpoint, e => new Lazy<Entry>(() => Create(e))).Value.Client;
    }

    /// <summary>Number of open channels, including those of endpoints absent from the live list but still in their grace.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Records which endpoints are live: an endpoint missing from <paramref name="liveEndpoints"/> starts (or continues) its
    /// grace, one present again forgets its absence, and the channels of endpoints absent for at least the grace are disposed
    /// (checked here, so at most one call late: <see cref="WorkerPool.RefreshAsync"/> calls it every <c>Routing:RefreshInterval</c>).
    /// </summary>
    public void Retain(IEnumerable<string> liveEndpoints)
    {
        ArgumentNullException.ThrowIfNull(liveEndpoints);
        var live = liveEndpoints.ToHashSet(StringComparer.Ordinal);
        var now = _time.GetUtcNow();
        lock (_retainLock)
        {
            foreach (var endpoint in _absentSince.Keys.Where(live.Contains).ToList())
            {
                _absentSince.Remove(endpoint); // back in the list: same channel, absence forgotten
            }

            foreach (var endpoint in _entries.Keys.Where(e => !live.Contains(e)))
            {
                if (!_absentSince.TryGetValue(endpoint, out var since))
                {
                    _absentSince[endpoint] = since = now;
                }

                if (now - since >= _grace)
                {
                    _absentSince.Remove(endpoint);
                    Close(endpoint);
                }
            }
        }
    }

    /// <summary>Disposes every channel at once, those in their grace included.</summary>
    public void Dispose()
    {
        lock (_retainLock)
        {
            _absentSince.Clear();
            foreach (var endpoint in _entries.Keys)
            {
                Close(endpoint);
            }
        }
    }

    private void Close(string endpoint)
    {
        if (_entries.TryRemove(endpoint, out var gone) && gone.IsValueCreated)
        {
            gone.Value.Channel.Dispose();
        }
    }

    private Entry Create(string endpoint)
    {
        GrpcChannel channel;
        try
        {
            channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
            {
                MaxReceiveMessageSize = null,
                HttpHandler = new Cluster.Contracts.GrpcClientMetricsHandler(new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = true,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
                }),
            });
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or InvalidOperationException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Worker endpoint '{endpoint}' in the registry is not an http:// or https:// address: fix the worker's advertised address."));
        }

        // The cluster token travels in an interceptor on every call (shared with the worker's KV pushes).
        var invoker = ClusterTokenInterceptor.Apply(channel, _auth.Value.ClusterToken);
        return new Entry(channel, new Worker.WorkerClient(invoker));
    }

    private sealed record Entry(GrpcChannel Channel, Worker.WorkerClient Client);
}
