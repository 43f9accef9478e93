using Cluster.Contracts.V1;
using Grpc.Core;

namespace Cluster.KvTransfer.Client;

/// <summary>What the two ring transports (shared memory, CUDA IPC) share: a slot freed by the receiver, and the chunk's header.</summary>
public sealed partial class KvPushClient
{
    /// <summary>
    /// The slot chunk <paramref name="sequence"/> goes to (sequence mod <paramref name="slots"/>), once the receiver has
    /// consumed the chunk that used it before: it writes its consumed count into the ring (<paramref name="consumed"/>)
    /// and drains a full ring within milliseconds. Throws when the receiver ends the push first.
    /// </summary>
    private static async Task<int> FreeSlotAsync(
        Func<ulong> consumed, int slots, AsyncClientStreamingCall<KvFrame, PushResult> call, uint sequence, string ring, CancellationToken cancellationToken)
    {
        var needed = (ulong)sequence + 1 > (ulong)slots ? (ulong)sequence + 1 - (ulong)slots : 0;
        for (var polls = 0; consumed() < needed; polls++)
        {
            if (call.ResponseAsync.IsCompleted)
            {
                await call.ResponseAsync;
                throw new RpcException(new Status(StatusCode.Internal, $"The receiver ended the push before consuming the {ring} ring."));
            }

            if (polls < 64) await Task.Yield();
            else await Task.Delay(1, cancellationToken);
        }

        return (int)(sequence % (uint)slots);
    }

    /// <summary>The frame of a chunk whose bytes travel in a ring: its range; the caller sets the slot and checksum.</summary>
    private static KvChunk RingChunk(uint sequence, KvChunkData chunk) => new()
    {
        Sequence = sequence,
        LayerStart = (uint)chunk.Range.LayerStart,
        LayerCount = (uint)chunk.Range.LayerCount,
        BlockStart = (uint)chunk.Range.BlockStart,
        BlockCount = (uint)chunk.Range.BlockCount,
    };
}
