using Cluster.Contracts;
using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.KvTransfer.Reservations;
using Cluster.KvTransfer.SharedMemory;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Cluster.KvTransfer.Server;

/// <summary>
/// Decode side of <c>cluster.v1.KvTransfer</c>: validates every frame of a push against its reservation and writes
/// chunks straight into the reserved blocks. A refused frame ends the stream with a status; nothing is ever written
/// outside the reservation, and the reservation stays open (lease running) so the sender can resume from
/// <see cref="PushResult.NextSequence"/>. Failure table in README.md.
/// </summary>
[BindServiceMethod(typeof(KvTransferGrpcService), nameof(BindPooled))]
public partial class KvTransferGrpcService(KvReservationTable reservations, ILogger<KvTransferGrpcService> logger)
{
    private readonly KvTransferInstruments? _instruments;

    /// <summary>The service, counting refused frames in <paramref name="instruments"/>.</summary>
    public KvTransferGrpcService(KvReservationTable reservations, ILogger<KvTransferGrpcService> logger, KvTransferInstruments instruments)
        : this(reservations, logger) => _instruments = instruments;

    /// <summary>The service, also accepting pushes through CUDA IPC rings that <paramref name="ipc"/> can open.</summary>
    public KvTransferGrpcService(KvReservationTable reservations, ILogger<KvTransferGrpcService> logger, KvTransferInstruments instruments, CudaIpc.KvIpcReceiver ipc)
        : this(reservations, logger, instruments) => _ipc = ipc;

    public virtual async Task<PushResult> Push(IAsyncStreamReader<KvFrame> requestStream, ServerCallContext context)
    {
        // The ASP.NET Core request activity already carries the sender's traceparent; without one, read it here.
        var parent = System.Diagnostics.Activity.Current?.Context
            ?? Core.Tracing.TraceContext.Extract(key => context.RequestHeaders.GetValue(key));
        using var span = KvTransferActivity.Source.StartActivity("kv_transfer.receive", System.Diagnostics.ActivityKind.Consumer, parent);
        try
        {
            return await PushCoreAsync(requestStream, context);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            _instruments?.Rejected(e.StatusCode);
            throw;
        }
    }

    private async Task<PushResult> PushCoreAsync(IAsyncStreamReader<KvFrame> requestStream, ServerCallContext context)
    {
        var cancellation = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellation))
        {
            throw Fail(StatusCode.InvalidArgument, "The push stream is empty; send a header frame first.");
        }

        if (requestStream.Current.FrameCase != KvFrame.FrameOneofCase.Header)
        {
            throw Fail(StatusCode.InvalidArgument, "The first frame of a push must be a header.");
        }

        var header = requestStream.Current.Header;
        var reservation = BeginPush(header);
        SharedMemoryChunkRing? ring = null;
        CudaIpc.CudaIpcChunkRing? ipc = null;
        try
        {
            if (header.SharedMemory is { } announced)
            {
                ring = SharedMemoryChunkRing.TryOpen(announced, out var error)
                    ?? throw Fail(StatusCode.Unimplemented, $"Shared memory is not usable here: {error}; push the chunks inline.");
            }

            if (header.CudaIpc is { } device)
            {
                ipc = OpenIpc(device);
            }

            while (await requestStream.MoveNext(cancellation))
            {
                var frame = requestStream.Current;
                if (frame.FrameCase != KvFrame.FrameOneofCase.Chunk)
                {
                    throw Fail(StatusCode.InvalidArgument, "Only chunk frames may follow the header.");
                }

                try
                {
                    if (frame.Chunk.IpcSlot != 0) CommitFromDevice(reservation, frame.Chunk, ipc, header.CudaIpc?.Checksums == true);
                    else Commit(reservation, frame.Chunk, ring);
                }
                finally
                {
                    PooledKvFrameParser.Return(frame.Chunk);
                }
            }

            lock (reservation.Gate)
            {
                LogPushEnded(logger, reservation.Ticket, reservation.CommittedChunks, reservation.CommittedBytes, reservation.Complete);
                return Result(reservation);
            }
        }
        finally
        {
            ring?.Dispose();
            if (ipc is not null) _ipc!.Release(ipc);
            lock (reservation.Gate)
            {
                reservation.Pushing = false;
            }
        }
    }

    /// <summary>
    /// How grpc-dotnet binds this service (<c>MapGrpcService&lt;KvTransferGrpcService&gt;</c>): as the generated
    /// binding, but received chunks are parsed into pooled buffers (<see cref="PooledKvFrameParser"/>). The handlers are
    /// virtual methods declared here, not overrides of the generated base: grpc-dotnet only takes handlers whose base
    /// definition is on the type carrying <c>[BindServiceMethod]</c>.
    /// </summary>
    public static void BindPooled(ServiceBinderBase binder, KvTransferGrpcService? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(PushMethod, (ClientStreamingServerMethod<KvFrame, PushResult>?)null);
        binder.AddMethod(GetTicketMethod, (UnaryServerMethod<TicketRequest, PushResult>?)null);
    }

    /// <summary>The service's descriptor (server reflection looks it up on the type <c>[BindServiceMethod]</c> names).</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Contracts.V1.KvTransfer.Descriptor;

    /// <summary>cluster.v1.KvTransfer/Push with the pooled request parser.</summary>
    public static readonly Method<KvFrame, PushResult> PushMethod = new(
        MethodType.ClientStreaming, "cluster.v1.KvTransfer", "Push",
        Marshallers.Create<KvFrame>(ProtobufMarshaller.Serialize, context => ParsePushFrame(context.PayloadAsReadOnlySequence())),
        ProtobufMarshaller.For(PushResult.Parser));

    private static readonly Method<TicketRequest, PushResult> GetTicketMethod = new(
        MethodType.Unary, "cluster.v1.KvTransfer", "GetTicket", ProtobufMarshaller.For(TicketRequest.Parser), ProtobufMarshaller.For(PushResult.Parser));

    /// <summary>
    /// Parses one received Push frame with its chunk bytes in a pooled buffer (<see cref="PooledKvFrameParser"/>; the
    /// handler gives it back once written): the request deserializer for any host that binds <see cref="Push"/>.
    /// </summary>
    public static KvFrame ParsePushFrame(System.Buffers.ReadOnlySequence<byte> payload) => PooledKvFrameParser.Parse(payload);

    public virtual Task<PushResult> GetTicket(TicketRequest request, ServerCallContext context)
    {
        var reservation = reservations.Find(request.Ticket)
            ?? throw Fail(StatusCode.NotFound, $"Unknown KV ticket '{request.Ticket}': never issued, expired, cancelled or already decoding.");
        lock (reservation.Gate)
        {
            return Task.FromResult(Result(reservation));
        }
    }

    private KvReservation BeginPush(KvHeader header)
    {
        var reservation = reservations.Find(header.Ticket)
            ?? throw Fail(StatusCode.NotFound, $"Unknown KV ticket '{header.Ticket}': never issued, expired, cancelled or already decoding.");
        var layout = KvLayoutMapping.FromProto(header.Layout, out var layoutError);
        if (header.Model != reservations.Target.Model)
        {
            throw Fail(StatusCode.InvalidArgument, $"Header model '{header.Model}' differs from this worker's '{reservations.Target.Model}'.");
        }

        if (layout is null || layout != reservation.Layout)
        {
            throw Fail(StatusCode.InvalidArgument, $"Header KV layout ({layoutError ?? layout!.ToString()}) differs from the reservation's ({reservation.Layout}).");
        }

        if (header.TokenCount != reservation.Tokens)
        {
            throw Fail(StatusCode.InvalidArgument, $"Header token count {header.TokenCount} differs from the reservation's {reservation.Tokens}.");
        }

        lock (reservation.Gate)
        {
            if (reservation.State != KvReservationState.Open)
            {
                throw Fail(StatusCode.FailedPrecondition, $"KV ticket '{header.Ticket}' is {reservation.State}; reserve again.");
            }

            if (reservation.Pushing)
            {
                throw Fail(StatusCode.FailedPrecondition, $"Another push stream is writing ticket '{header.Ticket}'.");
            }

            if (header.ResumeFromSequence != reservation.NextSequence)
            {
                throw Fail(StatusCode.FailedPrecondition, $"Resume from chunk {reservation.NextSequence}, not {header.ResumeFromSequence} (ask GetTicket).");
            }

            reservation.Pushing = true;
            reservations.RenewLocked(reservation);
        }

        return reservation;
    }

    private void Commit(KvReservation reservation, KvChunk chunk, SharedMemoryChunkRing? ring)
    {
        var expectedBytes = CheckRanges(reservation, chunk);
        var data = chunk.ShmSlot == 0 ? chunk.Data.Span : SlotOf(chunk, ring, expectedBytes);
        if (data.Length != expectedBytes)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence}: {data.Length} bytes, but {chunk.LayerCount} layers × {chunk.BlockCount} blocks take {expectedBytes}.");
        }

        if (XxHash64.Hash(data) != chunk.Xxh64)
        {
            throw Fail(StatusCode.DataLoss, $"Chunk {chunk.Sequence}: XXH64 checksum mismatch; resend from chunk {chunk.Sequence}.");
        }

        lock (reservation.Gate)
        {
            CheckOpenAndInOrder(reservation, chunk);
            reservations.Target.Write(reservation.Request, (int)chunk.LayerStart, (int)chunk.LayerCount, (int)chunk.BlockStart, (int)chunk.BlockCount, data);
            RecordLocked(reservation, chunk, data.Length);
        }

        ring?.MarkConsumed(chunk.Sequence + 1UL);
    }

    private static void CheckOpenAndInOrder(KvReservation reservation, KvChunk chunk)
    {
        if (reservation.State != KvReservationState.Open)
        {
            throw Fail(StatusCode.FailedPrecondition, $"KV ticket '{reservation.Ticket}' was {reservation.State} during the push.");
        }

        if (chunk.Sequence != reservation.NextSequence)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence} is out of order; expected {reservation.NextSequence}.");
        }
    }

    private void RecordLocked(KvReservation reservation, KvChunk chunk, int bytes)
    {
        reservation.RecordCommit((int)chunk.LayerStart, (int)chunk.LayerCount, (int)chunk.BlockStart, (int)chunk.BlockCount, bytes);
        reservations.CountReceived(bytes);
        reservations.RenewLocked(reservation);
    }

    // Checks the chunk's layer and block ranges against the reservation; returns the bytes they take.
    private static long CheckRanges(KvReservation reservation, KvChunk chunk)
    {
        var layout = reservation.Layout;
        if (chunk.LayerCount == 0 || chunk.LayerStart >= layout.Layers || chunk.LayerCount > layout.Layers - chunk.LayerStart)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence}: layers [{chunk.LayerStart}, +{chunk.LayerCount}) are outside 0..{layout.Layers - 1}.");
        }

        if (chunk.BlockCount == 0 || chunk.BlockStart >= reservation.Blocks || chunk.BlockCount > reservation.Blocks - chunk.BlockStart)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence}: blocks [{chunk.BlockStart}, +{chunk.BlockCount}) are outside the reservation's {reservation.Blocks} blocks.");
        }

        if (chunk.BlockStart < reservation.CachedBlocks)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence}: blocks [0, {reservation.CachedBlocks}) of the reservation are this worker's cached prefix (Reserve's cached_tokens); push from block {reservation.CachedBlocks} on.");
        }

        return layout.RangeBytes((int)chunk.LayerCount, (int)chunk.BlockCount);
    }

    // The chunk's bytes in the shared-memory ring the header announced.
    private static Span<byte> SlotOf(KvChunk chunk, SharedMemoryChunkRing? ring, long expectedBytes)
    {
        if (ring is null)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence} names shared-memory slot {chunk.ShmSlot}, but the header announced no ring.");
        }

        if (chunk.ShmSlot > ring.Slots || !chunk.Data.IsEmpty || expectedBytes > ring.SlotBytes)
        {
            throw Fail(StatusCode.InvalidArgument, $"Chunk {chunk.Sequence}: slot {chunk.ShmSlot} of {ring.Slots} (1-based), {expectedBytes} bytes in slots of {ring.SlotBytes}, and no inline data are required.");
        }

        return ring.Slot((int)chunk.ShmSlot - 1, (int)expectedBytes);
    }

    private static PushResult Result(KvReservation reservation) => new()
    {
        CommittedChunks = reservation.CommittedChunks,
        CommittedBytes = reservation.CommittedBytes,
        NextSequence = reservation.NextSequence,
        Complete = reservation.Complete,
    };

    private static RpcException Fail(StatusCode code, string message) => new(new Status(code, message));

    [LoggerMessage(Level = LogLevel.Debug, Message = "KV push for ticket {Ticket} ended: {Chunks} chunks, {Bytes} bytes committed, complete: {Complete}")]
    private static partial void LogPushEnded(ILogger logger, string ticket, uint chunks, ulong bytes, bool complete);
}
