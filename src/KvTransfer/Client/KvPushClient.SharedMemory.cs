using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.KvTransfer.SharedMemory;
using Grpc.Core;

namespace Cluster.KvTransfer.Client;

/// <summary>The same-host fast path: chunk bytes go through a shared-memory ring, the stream carries slot numbers.</summary>
public sealed partial class KvPushClient
{
    private bool _sharedMemoryRefused;

    /// <summary>The ring a push proposes to the receiver (null: chunks travel inline in the stream).</summary>
    public SharedMemoryRingShape? SharedMemory { get; init; }

    /// <summary>Whether the next push proposes a ring: configured, a shared-memory file system here, not refused before.</summary>
    public bool UsesSharedMemory => SharedMemory is not null && !_sharedMemoryRefused && SharedMemoryChunkRing.Available;

    // Copies the chunk into slot (sequence mod slots) once the receiver has consumed that slot's previous chunk.
    private static async Task<KvChunk> ToSlotAsync(
        SharedMemoryChunkRing ring, AsyncClientStreamingCall<KvFrame, PushResult> call, uint sequence, KvChunkData chunk, ulong checksumFault, CancellationToken cancellationToken)
    {
        var slot = await FreeSlotAsync(() => ring.Consumed, ring.Slots, call, sequence, "shared-memory", cancellationToken);
        var bytes = ring.Slot(slot, chunk.Data.Length);
        chunk.Data.Span.CopyTo(bytes);
        var frame = RingChunk(sequence, chunk);
        frame.ShmSlot = (uint)slot + 1;
        frame.Xxh64 = XxHash64.Hash(bytes) ^ checksumFault;
        return frame;
    }
}
