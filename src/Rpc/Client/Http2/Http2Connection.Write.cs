using System.Buffers;
using System.Buffers.Binary;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client.Http2;

internal sealed partial class Http2Connection
{
    /// <summary>Starts a stream: assigns the next odd id and sends HEADERS (+ CONTINUATION) without END_STREAM.</summary>
    public async Task<Http2Stream> OpenStreamAsync(IReadOnlyList<(string Name, string Value)> headers, IHttp2StreamHandler handler, CancellationToken cancellationToken)
    {
        using var block = new PooledBufferWriter();
        foreach (var (name, value) in headers)
        {
            HpackEncoder.WriteLiteral(block, name, value);
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            Http2Stream stream;
            lock (_lock)
            {
                if (_failure is { } failure)
                {
                    throw new RpcException(failure);
                }

                if (_goingAway || _nextStreamId >= int.MaxValue - 2)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "The HTTP/2 connection is closing (GOAWAY received or stream ids used up); retry the call."));
                }

                stream = new Http2Stream(this, _nextStreamId, handler, _peerInitialWindow, StreamReceiveWindow);
                _nextStreamId += 2;
                _streams.Add(stream.Id, stream);
            }

            var remaining = block.WrittenMemory;
            var type = Http2FrameType.Headers;
            do
            {
                var length = Math.Min(remaining.Length, PeerMaxFrameSize);
                var flags = length == remaining.Length ? Http2Protocol.FlagEndHeaders : (byte)0;
                await WriteFrameLockedAsync(type, flags, stream.Id, remaining[..length]);
                remaining = remaining[length..];
                type = Http2FrameType.Continuation;
            }
            while (!remaining.IsEmpty);
            return stream;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends <paramref name="data"/> as DATA frames of at most the peer's frame size, waiting for stream and connection
    /// window; returns once the bytes are handed to the socket. A reset or ended stream throws <see cref="RpcException"/>.
    /// </summary>
    public async ValueTask WriteDataAsync(Http2Stream stream, ReadOnlySequence<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        do
        {
            var credit = data.IsEmpty ? 0 : await ReserveWindowAsync(stream, (int)Math.Min(data.Length, int.MaxValue), cancellationToken);
            var last = credit == data.Length;
            try
            {
                await _writeLock.WaitAsync(cancellationToken);
            }
            catch
            {
                Refund(stream, credit);
                throw;
            }

            try
            {
                try
                {
                    ThrowIfClosed(stream);
                }
                catch
                {
                    Refund(stream, credit);
                    throw;
                }

                var piece = data.Slice(0, credit);
                do
                {
                    var length = (int)Math.Min(piece.Length, PeerMaxFrameSize);
                    var end = endStream && last && length == piece.Length;
                    await WriteFrameLockedAsync(Http2FrameType.Data, end ? Http2Protocol.FlagEndStream : (byte)0, stream.Id, piece.Slice(0, length));
                    piece = piece.Slice(length);
                }
                while (!piece.IsEmpty);

                if (endStream && last)
                {
                    CloseLocal(stream);
                }
            }
            finally
            {
                _writeLock.Release();
            }

            data = data.Slice(credit);
        }
        while (!data.IsEmpty);
    }

    /// <summary>Resets the stream with RST_STREAM unless it is already closed on both sides or reset.</summary>
    public void ResetStream(Http2Stream stream, Http2ErrorCode code)
    {
        lock (_lock)
        {
            if (stream.Aborted is not null || (stream.LocalClosed && stream.RemoteClosed))
            {
                return;
            }

            stream.Aborted = new Status(StatusCode.Cancelled, "The stream was reset by the client.");
            _streams.Remove(stream.Id);
        }

        SignalWindow();
        SendControl(Http2FrameType.RstStream, 0, stream.Id, (uint)code);
    }

    private async ValueTask<int> ReserveWindowAsync(Http2Stream stream, int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task grew;
            lock (_lock)
            {
                ThrowIfClosed(stream);
                var available = Math.Min(_connectionSendWindow, stream.SendWindow);
                if (available > 0)
                {
                    var credit = (int)Math.Min(available, wanted);
                    _connectionSendWindow -= credit;
                    stream.SendWindow -= credit;
                    return credit;
                }

                grew = _windowGrew.Task;
            }

            await grew.WaitAsync(cancellationToken);
        }
    }

    private void Refund(Http2Stream stream, int credit)
    {
        if (credit == 0)
        {
            return;
        }

        lock (_lock)
        {
            _connectionSendWindow += credit;
            stream.SendWindow += credit;
        }

        SignalWindow();
    }

    private void ThrowIfClosed(Http2Stream stream)
    {
        lock (_lock)
        {
            if (stream.Aborted is { } aborted)
            {
                throw new RpcException(aborted);
            }

            if (stream.RemoteClosed)
            {
                throw new RpcException(new Status(StatusCode.Internal, "The server ended the call before the request stream was complete."));
            }

            if (stream.LocalClosed)
            {
                throw new InvalidOperationException("The request stream has already ended.");
            }
        }
    }

    private void CloseLocal(Http2Stream stream)
    {
        lock (_lock)
        {
            stream.LocalClosed = true;
            if (stream.RemoteClosed)
            {
                _streams.Remove(stream.Id);
            }
        }
    }

    /// <summary>Writes one frame; the caller holds the write lock. A socket failure fails the whole connection.</summary>
    private ValueTask WriteFrameLockedAsync(Http2FrameType type, byte flags, int streamId, ReadOnlyMemory<byte> payload) =>
        WriteFrameLockedAsync(type, flags, streamId, new ReadOnlySequence<byte>(payload));

    /// <summary>
    /// Writes one frame from the pieces of <paramref name="payload"/>: pieces that fit go out with the frame header in one
    /// socket write (a message's small fields), larger ones straight from their memory.
    /// </summary>
    private async ValueTask WriteFrameLockedAsync(Http2FrameType type, byte flags, int streamId, ReadOnlySequence<byte> payload)
    {
        Http2Protocol.WriteFrameHeader(_frameHeader, (int)payload.Length, type, flags, streamId);
        try
        {
            var pending = Http2Protocol.FrameHeaderSize;
            foreach (var piece in payload)
            {
                if (piece.Length <= _frameHeader.Length - pending)
                {
                    piece.Span.CopyTo(_frameHeader.AsSpan(pending));
                    pending += piece.Length;
                    continue;
                }

                if (pending > 0)
                {
                    await _stream.WriteAsync(_frameHeader.AsMemory(0, pending), _closed.Token);
                    pending = 0;
                }

                await _stream.WriteAsync(piece, _closed.Token);
            }

            if (pending > 0)
            {
                await _stream.WriteAsync(_frameHeader.AsMemory(0, pending), _closed.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            var status = new Status(StatusCode.Unavailable, "Error sending the request: " + ex.Message);
            Fail(status);
            throw new RpcException(status);
        }
    }

    /// <summary>Queues a small control frame (RST_STREAM, WINDOW_UPDATE) with a 4-byte payload.</summary>
    private void SendControl(Http2FrameType type, byte flags, int streamId, uint value)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        SendControl(type, flags, streamId, payload);
    }

    /// <summary>Sends a control frame in the background (the read loop never waits for the write lock).</summary>
    private void SendControl(Http2FrameType type, byte flags, int streamId, byte[] payload) => _ = SendControlAsync(type, flags, streamId, payload);

    private async Task SendControlAsync(Http2FrameType type, byte flags, int streamId, byte[] payload)
    {
        try
        {
            await _writeLock.WaitAsync(_closed.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }

        try
        {
            await WriteFrameLockedAsync(type, flags, streamId, payload);
        }
        catch (RpcException)
        {
            // The connection has failed and its streams know why.
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
