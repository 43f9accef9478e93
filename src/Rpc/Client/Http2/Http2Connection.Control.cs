using System.Buffers.Binary;

namespace Cluster.Rpc.Client.Http2;

internal sealed partial class Http2Connection
{
    private void OnSettings(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS on a stream.");
        }

        if ((flags & Http2Protocol.FlagAck) != 0)
        {
            if (!payload.IsEmpty)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "A SETTINGS acknowledgement with a payload.");
            }

            return;
        }

        if (payload.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"SETTINGS of {payload.Length} bytes (not a multiple of 6).");
        }

        for (var at = 0; at < payload.Length; at += 6)
        {
            ApplySetting(BinaryPrimitives.ReadUInt16BigEndian(payload[at..]), BinaryPrimitives.ReadUInt32BigEndian(payload[(at + 2)..]));
        }

        SendControl(Http2FrameType.Settings, Http2Protocol.FlagAck, 0, []);
        SignalWindow();
        _settingsReceived.TrySetResult();
    }

    private void ApplySetting(ushort id, uint value)
    {
        switch (id)
        {
            case Http2Protocol.SettingInitialWindowSize:
                if (value > Http2Protocol.MaxWindowSize)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"SETTINGS_INITIAL_WINDOW_SIZE {value} exceeds 2^31-1.");
                }

                lock (_lock)
                {
                    // The change applies to every open stream's window (RFC 9113 §6.9.2), which may go negative.
                    var delta = (long)value - _peerInitialWindow;
                    _peerInitialWindow = (int)value;
                    foreach (var stream in _streams.Values)
                    {
                        stream.SendWindow += delta;
                        if (stream.SendWindow > Http2Protocol.MaxWindowSize)
                        {
                            throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"SETTINGS_INITIAL_WINDOW_SIZE overflows stream {stream.Id}'s window.");
                        }
                    }
                }

                break;
            case Http2Protocol.SettingMaxFrameSize:
                if (value < Http2Protocol.DefaultMaxFrameSize || value > Http2Protocol.MaxAllowedFrameSize)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} is outside 16,384..16,777,215.");
                }

                Volatile.Write(ref _peerMaxFrameSize, (int)value);
                break;
            case Http2Protocol.SettingMaxConcurrentStreams:
                lock (_lock)
                {
                    _peerMaxConcurrentStreams = (int)Math.Min(value, int.MaxValue);
                }

                break;
            case Http2Protocol.SettingEnablePush when value > 1:
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"SETTINGS_ENABLE_PUSH {value} is not 0 or 1.");
            default:
                break; // HEADER_TABLE_SIZE bounds our encoder's table, which we never use; others are advisory.
        }
    }

    private void OnWindowUpdate(int streamId, uint increment)
    {
        if (increment == 0)
        {
            if (streamId == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "WINDOW_UPDATE with an increment of 0 on the connection.");
            }

            AbortStream(streamId, Http2ErrorCode.ProtocolError, "The server sent WINDOW_UPDATE with an increment of 0.");
            return;
        }

        var overflow = false;
        lock (_lock)
        {
            if (streamId == 0)
            {
                _connectionSendWindow += increment;
                if (_connectionSendWindow > Http2Protocol.MaxWindowSize)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "The connection's send window exceeds 2^31-1.");
                }
            }
            else if (_streams.TryGetValue(streamId, out var stream))
            {
                stream.SendWindow += increment;
                overflow = stream.SendWindow > Http2Protocol.MaxWindowSize;
            }
            else
            {
                return; // a stream that is already closed
            }
        }

        if (overflow)
        {
            AbortStream(streamId, Http2ErrorCode.FlowControlError, "WINDOW_UPDATE took the stream's send window past 2^31-1.");
            return;
        }

        SignalWindow();
    }

    private void OnGoAway(int streamId, ReadOnlySpan<byte> payload)
    {
        if (streamId != 0 || payload.Length < 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "A malformed GOAWAY frame.");
        }

        var lastStreamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7fffffffu);
        var code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
        List<Http2Stream> refused;
        lock (_lock)
        {
            _goingAway = true;
            refused = [.. _streams.Values.Where(s => s.Id > lastStreamId)];
            var status = new Status(StatusCode.Unavailable, $"The server closed the HTTP/2 connection (GOAWAY {Http2Protocol.Name(code)}) before processing the call; it can be retried.");
            foreach (var stream in refused)
            {
                _streams.Remove(stream.Id);
                stream.Aborted = status;
            }
        }

        SignalWindow();
        foreach (var stream in refused)
        {
            stream.Handler.OnAborted(stream.Aborted!.Value);
        }
    }

    /// <summary>A stream error: reset the stream with <paramref name="code"/> and fail its call.</summary>
    private void AbortStream(int streamId, Http2ErrorCode code, string message)
    {
        Http2Stream? stream;
        lock (_lock)
        {
            if (!_streams.Remove(streamId, out stream))
            {
                return;
            }

            stream.Aborted = new Status(StatusCode.Internal, $"HTTP/2 stream error ({Http2Protocol.Name(code)}): {message}");
        }

        SignalWindow();
        SendControl(Http2FrameType.RstStream, 0, streamId, (uint)code);
        stream.Handler.OnAborted(stream.Aborted.Value);
    }
}
