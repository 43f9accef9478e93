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
        var needed = (ulong)sequence + 1 > (ulong)ring.Slots ? (ulong)sequence + 1 - (ulong)ring.Slots : 0;
        for (var polls = 0; ring.Consumed < needed; polls++)
        {
            if (call.ResponseAsync.IsCompleted)
            {
                await call.ResponseAsync;
                throw new RpcException(new Status(StatusCode.Internal, "The receiver ended the push before consuming the shared-memory ring."));
            }

            // The receiver writes the consumed count into the ring; it drains a full ring within milliseconds.
            if (polls < 64) await Task.Yield();
            else await Task.Delay(1, cancellationToken);
        }

        var slot = (int)(sequence % (uint)ring.Slots);
        var bytes = ring.Slot(slot, chunk.Data.Length);
        chunk.Data.Span.CopyTo(bytes);
        return new KvChunk
        {
            Sequence = sequence,
            LayerStart = (uint)chunk.Range.LayerStart,
            LayerCount = (uint)chunk.Range.LayerCount,
            BlockStart = (uint)chunk.Range.BlockStart,
            BlockCount = (uint)chunk.Range.BlockCount,
            ShmSlot = (uint)slot + 1,
            Xxh64 = XxHash64.Hash(bytes) ^ checksumFault,
        };
    }
}
