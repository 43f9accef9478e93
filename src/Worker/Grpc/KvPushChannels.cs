using System.Collections.Concurrent;
using Cluster.Hosting.Auth;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.CudaIpc;
using Microsoft.Extensions.Logging;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using KvTransferService = Cluster.Contracts.V1.KvTransfer;

namespace Cluster.Worker.Grpc;

/// <summary>
/// Push clients to decode workers, one cached <see cref="GrpcChannel"/> per endpoint (Push on the generated
/// client-streaming call). When a token is set, the channel's calls go through a <see cref="ClusterTokenInterceptor"/>
/// (<c>authorization: Bearer &lt;Auth:ClusterToken&gt;</c>), the router's worker calls' interceptor; per-call
/// metadata carries only the trace context.
/// </summary>
internal sealed partial class KvPushChannels(
    IOptions<AuthOptions> auth, IOptions<KvTransferOptions> transfer, KvTransferInstruments instruments, KvIpcRingPool ipc, ILogger<KvPushChannels> logger) : IDisposable
{
    private readonly ConcurrentDictionary<(string Authority, string Reason), bool> _logged = new();
    private readonly ConcurrentDictionary<string, Lazy<Entry>> _channels = new(StringComparer.OrdinalIgnoreCase);

    public int MaxChunkBytes => transfer.Value.MaxChunkBytes;

    public KvTransferInstruments Instruments => instruments;

    /// <summary>
    /// A push client for <paramref name="endpoint"/> (an absolute http/https URI, checked by the caller);
    /// <paramref name="corruptChecksums"/> only from <see cref="KvTransferTestFaults"/>.
    /// </summary>
    public KvPushClient For(Uri endpoint, bool corruptChecksums = false)
    {
        var authority = endpoint.GetLeftPart(UriPartial.Authority);
        var entry = _channels.GetOrAdd(authority, key => new Lazy<Entry>(() => Create(key))).Value;
        return new KvPushClient(entry.Client, transfer.Value, TraceContextHeaders())
        {
            Resumed = instruments.Resumed,
            CorruptChecksums = corruptChecksums,
            CudaIpc = ipc,
            Peer = entry.Peer,
            CudaIpcFallback = reason => FellBack(authority, reason),
        };
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            if (channel.IsValueCreated) channel.Value.Channel.Dispose();
        }
    }

    private Entry Create(string authority)
    {
        var channel = GrpcChannel.ForAddress(authority, transfer.Value.CreatePushChannelOptions());
        return new Entry(channel, new KvTransferService.KvTransferClient(ClusterTokenInterceptor.Apply(channel, auth.Value.ClusterToken)));
    }

    // The current span (the sender's kv_transfer.push) travels as traceparent in the Push call's metadata.
    private static Metadata? TraceContextHeaders()
    {
        Metadata? result = null;
        Core.Tracing.TraceContext.Inject(System.Diagnostics.Activity.Current, (key, value) => (result ??= new Metadata()).Add(key, value));
        return result;
    }

    // Every fallback counts; each (receiver, reason) is logged once.
    private void FellBack(string authority, string reason)
    {
        instruments.CudaIpcFellBack(reason);
        if (_logged.TryAdd((authority, reason), true))
        {
            LogFallback(logger, authority, reason, reason == "no_cuda" ? ipc.Device.UnavailableReason : "");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "KV push to {Receiver}: CUDA IPC not used ({Reason}) {Detail}; falling back to the shared-memory ring or gRPC bytes (KvTransfer:CudaIpc=off silences this)")]
    private static partial void LogFallback(ILogger logger, string receiver, string reason, string detail);

    private sealed record Entry(GrpcChannel Channel, KvTransferService.KvTransferClient Client)
    {
        public KvIpcPeer Peer { get; } = new();
    }
}
