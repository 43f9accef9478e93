using System.Buffers;
using System.Buffers.Binary;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client.Http2;

internal sealed partial class Http2Connection
{
    private readonly PooledBufferWriter _headerBlock = new();
    private int _headerStreamId;
    private bool _headerEndStream;

    private async Task ReadLoopAsync()
    {
        Status status;
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_closed.Token);
                var buffer = result.Buffer;
                while (TryReadFrame(ref buffer))
                {
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    status = new Status(StatusCode.Unavailable, "Error reading the response: the server closed the HTTP/2 connection.");
                    break;
                }
            }
        }
        catch (Http2ConnectionException ex)
        {
            status = new Status(StatusCode.Internal, $"HTTP/2 connection error ({Http2Protocol.Name(ex.Code)}): {ex.Message}");
            var goAway = new byte[8];
            // Last-Stream-ID 0: this client accepts no server-initiated streams.
            BinaryPrimitives.WriteUInt32BigEndian(goAway.AsSpan(4), (uint)ex.Code);
            await SendControlAsync(Http2FrameType.GoAway, 0, 0, goAway);
        }
        catch (Exception ex)
        {
            status = new Status(StatusCode.Unavailable, "Error reading the response: " + ex.Message);
        }

        Fail(status);
        _headerBlock.Dispose();
        try
        {
            await _stream.DisposeAsync(); // nothing more can be read, so nothing more is written either
        }
        catch (IOException)
        {
            // Already broken.
        }
    }

    private bool TryReadFrame(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < Http2Protocol.FrameHeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[Http2Protocol.FrameHeaderSize];
        buffer.Slice(0, Http2Protocol.FrameHeaderSize).CopyTo(header);
        var (length, type, flags, streamId) = Http2Protocol.ReadFrameHeader(header);
        if (length > Http2Protocol.DefaultMaxFrameSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"A {type} frame of {length} bytes exceeds our SETTINGS_MAX_FRAME_SIZE.");
        }

        if (buffer.Length < Http2Protocol.FrameHeaderSize + length)
        {
            return false;
        }

        var payload = buffer.Slice(Http2Protocol.FrameHeaderSize, length);
        if (payload.IsSingleSegment)
        {
            ProcessFrame(type, flags, streamId, payload.FirstSpan);
        }
        else
        {
            var copy = ArrayPool<byte>.Shared.Rent(length);
            payload.CopyTo(copy);
            try
            {
                ProcessFrame(type, flags, streamId, copy.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }

        buffer = buffer.Slice(payload.End);
        return true;
    }

    private void ProcessFrame(Http2FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (_headerStreamId != 0 && (type != Http2FrameType.Continuation || streamId != _headerStreamId))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"Expected CONTINUATION of stream {_headerStreamId}, got {type} on stream {streamId}.");
        }

        switch (type)
        {
            case Http2FrameType.Data:
                OnData(flags, RequireStream(streamId, type), payload);
                break;
            case Http2FrameType.Headers:
                OnHeadersFragment(flags, RequireStream(streamId, type), Unpad(flags, payload, priority: (flags & Http2Protocol.FlagPriority) != 0));
                break;
            case Http2FrameType.Continuation:
                if (_headerStreamId == 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "CONTINUATION without a preceding HEADERS.");
                }

                OnHeadersFragment(flags, streamId, payload);
                break;
            case Http2FrameType.RstStream:
                OnReset(RequireStream(streamId, type), RequireLength(payload, 4, type));
                break;
            case Http2FrameType.Settings:
                OnSettings(flags, streamId, payload);
                break;
            case Http2FrameType.PushPromise:
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PUSH_PROMISE although SETTINGS_ENABLE_PUSH is 0.");
            case Http2FrameType.Ping:
                RequireLength(payload, 8, type);
                if (streamId != 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PING on a stream.");
                }

                if ((flags & Http2Protocol.FlagAck) == 0)
                {
                    SendControl(Http2FrameType.Ping, Http2Protocol.FlagAck, 0, payload.ToArray());
                }

                break;
            case Http2FrameType.GoAway:
                OnGoAway(streamId, payload);
                break;
            case Http2FrameType.WindowUpdate:
                OnWindowUpdate(streamId, RequireLength(payload, 4, type) & 0x7fffffffu);
                break;
            default:
                break; // PRIORITY and unknown frame types are ignored (RFC 9113 §5.5).
        }
    }

    private static ReadOnlySpan<byte> Unpad(byte flags, ReadOnlySpan<byte> payload, bool priority)
    {
        var padding = 0;
        if ((flags & Http2Protocol.FlagPadded) != 0)
        {
            if (payload.IsEmpty)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "A padded frame without a pad length.");
            }

            padding = payload[0];
            payload = payload[1..];
        }

        if (priority)
        {
            if (payload.Length < 5)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "A HEADERS frame too short for its priority fields.");
            }

            payload = payload[5..];
        }

        if (padding > payload.Length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "Padding longer than the frame.");
        }

        return payload[..^padding];
    }

    private static int RequireStream(int streamId, Http2FrameType type) => streamId != 0
        ? streamId
        : throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{type} frame on stream 0.");

    private static uint RequireLength(ReadOnlySpan<byte> payload, int length, Http2FrameType type) => payload.Length == length
        ? (length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(payload) : 0)
        : throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{type} frame of {payload.Length} bytes (expected {length}).");
}
