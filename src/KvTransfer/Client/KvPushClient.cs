using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.KvTransfer.SharedMemory;
using Grpc.Core;
using Google.Protobuf;

namespace Cluster.KvTransfer.Client;

/// <summary>
/// Prefill side of <c>cluster.v1.KvTransfer</c>: streams a request's KV chunks to the decode worker with one
/// pending write (memory stays bounded while prefill produces later layers), and resumes a broken stream from the
/// receiver's last committed chunk. Refusals that retrying cannot fix (bad ticket, layout, ranges) are thrown.
/// </summary>
public sealed partial class KvPushClient(Contracts.V1.KvTransfer.KvTransferClient client, int maxResumeAttempts = 3, Metadata? headers = null)
{
    /// <summary>
    /// A push client configured by <paramref name="options"/> (<see cref="KvTransferOptions.MaxResumeAttempts"/>, the
    /// same-host shared-memory ring): the path hosts use.
    /// </summary>
    public KvPushClient(Contracts.V1.KvTransfer.KvTransferClient client, KvTransferOptions options, Metadata? headers = null)
        : this(client, ValidResumeAttempts(options), headers)
    {
        if (options.SharedMemory)
        {
            SharedMemory = new SharedMemoryRingShape(options.SharedMemoryRingBytes, options.MaxChunkBytes);
        }

        _ipcOptions = options;
    }

    /// <summary>Called before each resume of a broken stream (metrics).</summary>
    public Action? Resumed { get; init; }

    /// <summary>
    /// Test-only fault injection (the worker's <c>KvTransfer:TestFaults</c>): every chunk carries a wrong XXH64, so the
    /// receiver refuses it with DATA_LOSS, each resume fails the same way and the push finally fails. Off by default.
    /// </summary>
    public bool CorruptChecksums { get; init; }

    // XORed into every chunk's checksum while CorruptChecksums is on.
    private ulong ChecksumFault => CorruptChecksums ? 0x5A5A_5A5A_5A5A_5A5AUL : 0UL;

    /// <summary>Pushes every chunk of <paramref name="request"/>; returns the receiver's final account.</summary>
    public Task<PushResult> PushAsync(KvPushRequest request, CancellationToken cancellationToken = default) =>
        PushFromAsync(request, 0, cancellationToken);

    /// <summary>Continues an earlier, interrupted push of the same ticket from the receiver's first uncommitted chunk.</summary>
    public async Task<PushResult> ResumeAsync(KvPushRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await PushFromAsync(request, await NextSequenceAsync(request.Ticket, cancellationToken), cancellationToken);
    }

    private async Task<PushResult> PushFromAsync(KvPushRequest request, uint from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ipc = ChooseCudaIpc(request);
        var sharedMemory = UsesSharedMemory;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Transport = ipc ? TransportCudaIpc : sharedMemory ? TransportSharedMemory : TransportGrpc;
                return ipc ? await PushThroughDeviceAsync(request, from, cancellationToken) : await PushOnceAsync(request, from, sharedMemory, cancellationToken);
            }
            catch (Exception e) when (ipc && IpcRefusal(e) is { } reason && !cancellationToken.IsCancellationRequested)
            {
                // The receiver cannot use the device ring (other host or device, no CUDA) or a device copy failed: this
                // and later pushes to this peer go by the next transport; no attempt is used up.
                ipc = false;
                FallBack(reason, remember: true);
                attempt--;
                from = await NextSequenceAsync(request.Ticket, cancellationToken);
            }
            catch (RpcException e) when (sharedMemory && e.StatusCode == StatusCode.Unimplemented && !cancellationToken.IsCancellationRequested)
            {
                // The receiver cannot map the ring (another host): this and later pushes go inline; no attempt is used up.
                sharedMemory = false;
                _sharedMemoryRefused = true;
                attempt--;
                from = await NextSequenceAsync(request.Ticket, cancellationToken);
            }
            catch (RpcException e) when (IsResumable(e.StatusCode) && attempt < maxResumeAttempts && !cancellationToken.IsCancellationRequested)
            {
                Resumed?.Invoke();
                from = await NextSequenceAsync(request.Ticket, cancellationToken);
            }
        }
    }

    private async Task<uint> NextSequenceAsync(string ticket, CancellationToken cancellationToken)
    {
        var state = await client.GetTicketAsync(new TicketRequest { Ticket = ticket }, new CallOptions(headers, cancellationToken: cancellationToken));
        return state.NextSequence;
    }

    private async Task<PushResult> PushOnceAsync(KvPushRequest request, uint from, bool sharedMemory, CancellationToken cancellationToken)
    {
        // The ring outlives the call: the receiver has mapped it (or refused) by the time the call ends.
        using var ring = sharedMemory ? SharedMemoryChunkRing.TryCreate(SharedMemory!.Slots, SharedMemory.SlotBytes, from) : null;
        // Disposing the call resets the stream, so a failing source or a cancellation ends the push on both sides.
        using var call = client.Push(new CallOptions(headers, cancellationToken: cancellationToken));
        var header = new KvHeader
        {
            Ticket = request.Ticket,
            Model = request.Model,
            Layout = request.Layout.ToProto(),
            TokenCount = (uint)request.Tokens,
            ResumeFromSequence = from,
            SharedMemory = ring?.ToProto(),
        };
        await WriteAsync(call, new KvFrame { Header = header }, cancellationToken);
        var sequence = from;
        await foreach (var chunk in request.Source(from, cancellationToken).WithCancellation(cancellationToken))
        {
            var frame = ring is null || chunk.Data.Length > ring.SlotBytes
                ? ToChunk(sequence, chunk, ChecksumFault)
                : await ToSlotAsync(ring, call, sequence, chunk, ChecksumFault, cancellationToken);
            sequence++;
            await WriteAsync(call, new KvFrame { Chunk = frame }, cancellationToken);
        }

        return await CompleteAsync(call, cancellationToken);
    }

    // Ends the request stream and returns the receiver's answer (its status when it failed).
    private static async Task<PushResult> CompleteAsync(AsyncClientStreamingCall<KvFrame, PushResult> call, CancellationToken cancellationToken)
    {
        try
        {
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            // The receiver's status, when it had one, is in the response.
            await call.ResponseAsync;
            throw new RpcException(new Status(StatusCode.Unavailable, $"The push stream broke: {e.Message}", e));
        }

        return await call.ResponseAsync;
    }

    // A write fails when the receiver has ended the call: its status (in ResponseAsync) says why.
    private static async Task WriteAsync(AsyncClientStreamingCall<KvFrame, PushResult> call, KvFrame frame, CancellationToken cancellationToken)
    {
        try
        {
            await call.RequestStream.WriteAsync(frame, cancellationToken);
        }
        catch (Exception e) when (e is RpcException or IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            // A failed write ends the call, so this completes; it throws the receiver's status when it had one.
            // (Grpc.Net.Client may surface a broken stream as the transport's exception: that is UNAVAILABLE.)
            await call.ResponseAsync;
            if (e is RpcException) throw;
            throw new RpcException(new Status(StatusCode.Unavailable, $"The push stream broke: {e.Message}", e));
        }
    }

    private static KvChunk ToChunk(uint sequence, KvChunkData chunk, ulong checksumFault) => new()
    {
        Sequence = sequence,
        LayerStart = (uint)chunk.Range.LayerStart,
        LayerCount = (uint)chunk.Range.LayerCount,
        BlockStart = (uint)chunk.Range.BlockStart,
        BlockCount = (uint)chunk.Range.BlockCount,
        Data = UnsafeByteOperations.UnsafeWrap(chunk.Data),
        Xxh64 = XxHash64.Hash(chunk.Data.Span) ^ checksumFault,
    };

    private static int ValidResumeAttempts(KvTransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.MaxResumeAttempts >= 0
            ? options.MaxResumeAttempts
            : throw new ArgumentException($"KvTransfer:MaxResumeAttempts must be ≥ 0 (got {options.MaxResumeAttempts}).", nameof(options));
    }

    // A broken connection, a receiver that went away (CANCELLED we did not ask for: callers check their own token)
    // or a corrupted chunk: what was committed stays, the rest is sent again.
    private static bool IsResumable(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.DataLoss or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled;
}
