using Grpc.Net.Client;

namespace Cluster.KvTransfer;

/// <summary>KV-transfer settings (configuration section <c>KvTransfer</c>).</summary>
public sealed class KvTransferOptions
{
    public const string SectionName = "KvTransfer";

    /// <summary>Default lease of a reservation: 30 s.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(30);

    /// <summary>Default largest chunk payload: 1 MiB (well under the 4 MiB default message limit).</summary>
    public const int DefaultMaxChunkBytes = 1024 * 1024;

    /// <summary>How long a reservation lives without being renewed, pushed to or handed to decode.</summary>
    public TimeSpan Lease { get; set; } = DefaultLease;

    /// <summary>Largest chunk payload a sender produces.</summary>
    public int MaxChunkBytes { get; set; } = DefaultMaxChunkBytes;

    /// <summary>Default size of a sender's shared-memory ring: 32 MiB.</summary>
    public const long DefaultSharedMemoryRingBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Same-host fast path: the sender proposes a shared-memory ring under /dev/shm and the stream carries only slot
    /// numbers; a receiver that cannot map it (another host) refuses and the sender pushes inline from then on.
    /// </summary>
    public bool SharedMemory { get; set; }

    /// <summary>Bytes of a sender's ring (slots of <see cref="MaxChunkBytes"/>, at least 2).</summary>
    public long SharedMemoryRingBytes { get; set; } = DefaultSharedMemoryRingBytes;

    /// <summary>Times a sender re-opens a broken push stream (resuming from the last committed chunk) before giving up.</summary>
    public int MaxResumeAttempts { get; set; } = 3;

    /// <summary>Default HTTP/2 connections per decode worker for Push streams: 4.</summary>
    public const int DefaultPushConnections = 4;

    /// <summary>
    /// Whether a sender's channel to one decode worker may open further HTTP/2 connections when one is at its
    /// concurrent-stream limit (<see cref="SocketsHttpHandler.EnableMultipleHttp2Connections"/>); at least 1 keeps it on.
    /// </summary>
    public int PushConnections { get; set; } = DefaultPushConnections;

    /// <summary>Options of the channel a sender opens to a decode worker (grpc-dotnet, Push on the generated client).</summary>
    public GrpcChannelOptions CreatePushChannelOptions() => PushConnections >= 1
        ? new()
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            HttpHandler = new Cluster.Contracts.GrpcClientMetricsHandler(new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = PushConnections > 1,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            }),
        }
        : throw new InvalidOperationException($"KvTransfer:PushConnections must be at least 1 (got {PushConnections}).");
}
