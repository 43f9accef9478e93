using System.Collections.Concurrent;
using Cluster.Contracts.V1;
using Cluster.Hosting.Auth;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Coordination;

/// <summary>
/// One <see cref="GrpcChannel"/> (and <see cref="Worker.WorkerClient"/>) per worker endpoint, created on first use and
/// disposed when the worker leaves the live list (<see cref="Retain"/>). Every call carries
/// <c>authorization: Bearer &lt;Auth:ClusterToken&gt;</c> when a token is configured. Thread-safe.
/// </summary>
public sealed class WorkerClients(IOptions<AuthOptions> auth) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Entry>> _entries = new(StringComparer.Ordinal);

    /// <summary>The client for the worker at <paramref name="grpcEndpoint"/> (e.g. <c>http://10.0.0.5:50051</c>).</summary>
    public Worker.WorkerClient For(string grpcEndpoint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(grpcEndpoint);
        return _entries.GetOrAdd(grpcEndpoint, e => new Lazy<Entry>(() => Create(e))).Value.Client;
    }

    /// <summary>Number of open channels.</summary>
    public int Count => _entries.Count;

    /// <summary>Disposes the channels of endpoints not in <paramref name="liveEndpoints"/>.</summary>
    public void Retain(IEnumerable<string> liveEndpoints)
    {
        var live = liveEndpoints.ToHashSet(StringComparer.Ordinal);
        foreach (var endpoint in _entries.Keys.Where(e => !live.Contains(e)))
        {
            if (_entries.TryRemove(endpoint, out var gone) && gone.IsValueCreated)
            {
                gone.Value.Channel.Dispose();
            }
        }
    }

    public void Dispose() => Retain([]);

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
        var invoker = ClusterTokenInterceptor.Apply(channel, auth.Value.ClusterToken);
        return new Entry(channel, new Worker.WorkerClient(invoker));
    }

    private sealed record Entry(GrpcChannel Channel, Worker.WorkerClient Client);
}
