using Cluster.Rpc;

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

    /// <summary>
    /// What carries a sender's Push streams: <see cref="RpcClientStreamingTransport.DirectHttp2"/> (default: the channel's
    /// own HTTP/2 connections, DATA frames as large as the receiver allows) or <see cref="RpcClientStreamingTransport.HttpClient"/>
    /// (the fallback: SocketsHttpHandler, 16 KiB frames). GetTicket and every other call stay on HttpClient; the shared-memory
    /// ring, when on and mappable, is still preferred for the chunk bytes.
    /// </summary>
    public RpcClientStreamingTransport PushTransport { get; set; } = RpcClientStreamingTransport.DirectHttp2;

    /// <summary>Default HTTP/2 connections per decode worker for Push streams on the direct transport: 4.</summary>
    public const int DefaultPushConnections = 4;

    /// <summary>
    /// HTTP/2 connections a sender's channel to one decode worker spreads its Push streams over, round-robin
    /// (<see cref="RpcChannelOptions.ConnectionCount"/>; direct transport only). Streams sharing one connection share its
    /// socket and write lock: on 16 cores 8 concurrent pushes moved 3.25 GB/s over one connection, 6.7 over four.
    /// </summary>
    public int PushConnections { get; set; } = DefaultPushConnections;

    /// <summary>Options of the channel a sender opens to a decode worker (<see cref="PushTransport"/>, <see cref="PushConnections"/>).</summary>
    public RpcChannelOptions CreatePushChannelOptions() => PushConnections >= 1
        ? new() { ClientStreamingTransport = PushTransport, ConnectionCount = PushConnections }
        : throw new InvalidOperationException($"KvTransfer:PushConnections must be at least 1 (got {PushConnections}).");
}
