using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.KvTransfer.CudaIpc;
using Grpc.Core;

namespace Cluster.KvTransfer.Client;

/// <summary>
/// The same-device fast path: chunk bytes are copied device to device into a ring in this process's device memory,
/// which the receiver opened by CUDA IPC; the stream carries the header, slot numbers and the control as before.
/// </summary>
public sealed partial class KvPushClient
{
    public const string TransportGrpc = "grpc";
    public const string TransportSharedMemory = "shared_memory";
    public const string TransportCudaIpc = "cuda_ipc";

    private readonly KvTransferOptions? _ipcOptions;

    /// <summary>The sender's device rings (null: never propose CUDA IPC).</summary>
    public KvIpcRingPool? CudaIpc { get; init; }

    /// <summary>What this client remembers about its peer across pushes (a refusal); share one per receiver.</summary>
    public KvIpcPeer Peer { get; init; } = new();

    /// <summary>Called with a reason each time a push that could have used CUDA IPC goes by another transport.</summary>
    public Action<string>? CudaIpcFallback { get; init; }

    /// <summary>The transport of the last push (a metric tag): cuda_ipc, shared_memory or grpc (inline bytes).</summary>
    public string Transport { get; private set; } = TransportGrpc;

    // Whether this push proposes a device ring; otherwise reports why not (when CUDA IPC is configured).
    private bool ChooseCudaIpc(KvPushRequest request)
    {
        if (CudaIpc is null || _ipcOptions is null || _ipcOptions.CudaIpc == KvCudaIpcMode.Off) return false;
        var reason = CudaIpc.Device.Identity is null ? "no_cuda"
            : request.DeviceSource is null ? "host_source"
            : Peer.RefusedReason;
        if (reason is null) return true;
        FallBack(reason, remember: false);
        return false;
    }

    private void FallBack(string reason, bool remember)
    {
        if (remember) Peer.RefusedReason = reason;
        CudaIpcFallback?.Invoke(reason);
    }

    // The reason a failed push through the device ring should fall back (null: handle it as any other failure).
    private static string? IpcRefusal(Exception e) => e switch
    {
        RpcException { StatusCode: StatusCode.Unimplemented } r when r.Status.Detail.StartsWith("cuda_ipc ", StringComparison.Ordinal) =>
            r.Status.Detail[9..Math.Max(9, r.Status.Detail.IndexOf(':', StringComparison.Ordinal))],
        RpcException { StatusCode: StatusCode.Unimplemented } => "refused",
        CudaIpcCopyException => "copy_failed",
        _ => null,
    };

    private async Task<PushResult> PushThroughDeviceAsync(KvPushRequest request, uint from, CancellationToken cancellationToken)
    {
        var options = _ipcOptions!;
        CudaIpcChunkRing ring;
        try
        {
            ring = CudaIpc!.Rent(options.CudaIpcSlots(), options.MaxChunkBytes);
            ring.Consumed = from;
        }
        catch (Exception e) when (e is not InvalidOperationException and not OutOfMemoryException)
        {
            throw new CudaIpcCopyException($"The CUDA IPC ring could not be allocated: {e.Message}", e);
        }

        try
        {
            using var call = client.Push(new CallOptions(headers, cancellationToken: cancellationToken));
            var header = new KvHeader
            {
                Ticket = request.Ticket,
                Model = request.Model,
                Layout = request.Layout.ToProto(),
                TokenCount = (uint)request.Tokens,
                ResumeFromSequence = from,
                CudaIpc = ring.ToProto(CudaIpc.Device.Identity!, options.CudaIpcChecksums),
            };
            await WriteAsync(call, new KvFrame { Header = header }, cancellationToken);
            var sequence = from;
            await foreach (var chunk in request.DeviceSource!(from, cancellationToken).WithCancellation(cancellationToken))
            {
                KvChunk frame;
                try
                {
                    frame = chunk.Device is { } device && device.Length <= ring.SlotBytes
                        ? await ToDeviceSlotAsync(ring, call, sequence, chunk, device, options.CudaIpcChecksums, cancellationToken)
                        : ToChunk(sequence, Inline(chunk), ChecksumFault);
                }
                catch (CudaIpcCopyException)
                {
                    // End the stream cleanly so the receiver has finished with the ticket before the fallback resumes it.
                    await EndQuietlyAsync(call);
                    throw;
                }

                sequence++;
                await WriteAsync(call, new KvFrame { Chunk = frame }, cancellationToken);
            }

            return await CompleteAsync(call, cancellationToken);
        }
        finally
        {
            CudaIpc.Return(ring);
        }
    }

    private static async Task EndQuietlyAsync(AsyncClientStreamingCall<KvFrame, PushResult> call)
    {
        try
        {
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        }
        catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException)
        {
            // The receiver's answer does not matter: the push resumes from its next_sequence.
        }
    }

    // A chunk with its bytes on the host (a device chunk larger than a slot is copied there first).
    private static KvChunkData Inline(KvChunkData chunk)
    {
        if (chunk.Device is not { } device) return chunk;
        var bytes = new byte[device.Length];
        device.CopyTo(bytes);
        return chunk with { Data = bytes, Device = null };
    }

    // Copies the chunk into slot (sequence mod slots) once the receiver has consumed that slot's previous chunk.
    private async Task<KvChunk> ToDeviceSlotAsync(
        CudaIpcChunkRing ring, AsyncClientStreamingCall<KvFrame, PushResult> call, uint sequence, KvChunkData chunk, IKvDeviceBytes device, bool checksums,
        CancellationToken cancellationToken)
    {
        var slot = await FreeSlotAsync(() => ring.Consumed, ring.Slots, call, sequence, "CUDA IPC", cancellationToken);
        var offset = ring.SlotOffset(slot);
        try
        {
            device.CopyTo(ring.Region, offset);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new CudaIpcCopyException($"The device copy of chunk {sequence} into the CUDA IPC ring failed: {e.Message}", e);
        }

        var frame = RingChunk(sequence, chunk);
        frame.IpcSlot = (uint)slot + 1;
        frame.Xxh64 = checksums ? Server.KvTransferGrpcService.Checksum(ring, offset, device.Length) ^ ChecksumFault : 0;
        return frame;
    }
}

/// <summary>What a sender knows about one receiver across pushes: whether it refused CUDA IPC, and why.</summary>
public sealed class KvIpcPeer
{
    private string? _refused;

    /// <summary>The reason the peer refused CUDA IPC (or a device copy failed), or null while it has not.</summary>
    public string? RefusedReason
    {
        get => Volatile.Read(ref _refused);
        set => Volatile.Write(ref _refused, value);
    }
}

/// <summary>A device copy into the CUDA IPC ring failed: the push falls back to the next transport.</summary>
public sealed class CudaIpcCopyException(string message, Exception inner) : Exception(message, inner);
