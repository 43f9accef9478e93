using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.KvTransfer.CudaIpc;
using Cluster.KvTransfer.Reservations;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Cluster.KvTransfer.Server;

/// <summary>The receiving half of the CUDA IPC path: chunk bytes are read from the sender's device ring.</summary>
public partial class KvTransferGrpcService
{
    private readonly KvIpcReceiver? _ipc;

    /// <summary>The announced ring, opened; otherwise UNIMPLEMENTED whose detail starts "cuda_ipc REASON:" (the sender falls back).</summary>
    private CudaIpcChunkRing OpenIpc(CudaIpcRing announced)
    {
        string reason, message;
        if (_ipc is null)
        {
            (reason, message) = ("off", "this receiver was built without a CUDA IPC device");
        }
        else if (_ipc.TryOpen(announced, out reason, out message) is { } ring)
        {
            return ring;
        }

        LogIpcRefused(logger, reason, message);
        throw Fail(StatusCode.Unimplemented, $"cuda_ipc {reason}: {message}; push without CUDA IPC.");
    }

    // A chunk whose bytes are in slot ipc_slot of the device ring: copied device to device into the reserved blocks.
    private void CommitFromDevice(KvReservation reservation, KvChunk chunk, CudaIpcChunkRing? ring, bool checksums)
    {
        var expectedBytes = CheckRanges(reservation, chunk);
        if (ring is null)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence} names CUDA IPC slot {chunk.IpcSlot}, but the header announced no device ring.");
        }

        if (chunk.IpcSlot > ring.Slots || !chunk.Data.IsEmpty || chunk.ShmSlot != 0 || expectedBytes > ring.SlotBytes)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence}: CUDA IPC slot {chunk.IpcSlot} of {ring.Slots} (1-based), {expectedBytes} bytes in slots of {ring.SlotBytes}, and no other data are required.");
        }

        var offset = ring.SlotOffset((int)chunk.IpcSlot - 1);
        if (checksums && Checksum(ring, offset, (int)expectedBytes) != chunk.Xxh64)
        {
            throw Fail(StatusCode.DataLoss, $"Chunk {chunk.Sequence}: XXH64 of CUDA IPC slot {chunk.IpcSlot} differs; resend from chunk {chunk.Sequence}.");
        }

        lock (reservation.Gate)
        {
            CheckOpenAndInOrder(reservation, chunk);
            reservations.Target.Write(reservation.Request, (int)chunk.LayerStart, (int)chunk.LayerCount, (int)chunk.BlockStart, (int)chunk.BlockCount, ring.Region, offset, (int)expectedBytes);
            RecordLocked(reservation, chunk, (int)expectedBytes);
        }

        ring.Consumed = chunk.Sequence + 1UL;
    }

    // XXH64 of a slot's bytes, read to the host (only when the sender asked for checksums).
    internal static ulong Checksum(CudaIpcChunkRing ring, long offset, int bytes)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            ring.Region.Read(offset, buffer.AsSpan(0, bytes));
            return XxHash64.Hash(buffer.AsSpan(0, bytes));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "KV push: CUDA IPC refused ({Reason}): {Detail}; the sender falls back")]
    private static partial void LogIpcRefused(ILogger logger, string reason, string detail);
}
