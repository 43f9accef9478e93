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

    /// <summary>Default size of a sender's CUDA IPC ring: 64 MiB of device memory per push in flight.</summary>
    public const long DefaultCudaIpcRingBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Same-device fast path (<c>auto</c> | <c>off</c>): with <c>auto</c> a sender on a GPU proposes a ring in its device
    /// memory (CUDA IPC) and the receiver copies each chunk device to device; a receiver on another host or device,
    /// without CUDA or unable to open it refuses, and the push falls back to <see cref="SharedMemory"/> or inline bytes
    /// (a log line and <c>cluster.kv_transfer.cuda_ipc.fallbacks</c>).
    /// </summary>
    public CudaIpc.KvCudaIpcMode CudaIpc { get; set; } = global::Cluster.KvTransfer.CudaIpc.KvCudaIpcMode.Auto;

    /// <summary>Bytes of a sender's CUDA IPC ring (slots of <see cref="MaxChunkBytes"/>, at least 2).</summary>
    public long CudaIpcRingBytes { get; set; } = DefaultCudaIpcRingBytes;

    /// <summary>CUDA IPC chunks carry the XXH64 of their bytes (both sides read them to the host: a verification mode, slow).</summary>
    public bool CudaIpcChecksums { get; set; }

    /// <summary>The CUDA IPC ring's slots, or an error naming the option to fix.</summary>
    public int CudaIpcSlots() => CudaIpcRingBytes >= 2L * MaxChunkBytes && MaxChunkBytes is >= 1 and <= Cluster.KvTransfer.CudaIpc.CudaIpcChunkRing.MaxSlotBytes
        ? (int)Math.Min(Cluster.KvTransfer.CudaIpc.CudaIpcChunkRing.MaxSlots, CudaIpcRingBytes / MaxChunkBytes)
        : throw new InvalidOperationException($"KvTransfer:CudaIpcRingBytes ({CudaIpcRingBytes}) must hold at least 2 chunks of KvTransfer:MaxChunkBytes ({MaxChunkBytes}); raise it or set KvTransfer:CudaIpc=off.");

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
