namespace Cluster.Rpc.Client.Http2;

/// <summary>Frames addressed to streams: DATA (with flow-control accounting), header blocks, RST_STREAM.</summary>
internal sealed partial class Http2Connection
{
    private void OnData(byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var frameLength = payload.Length;
        var data = Unpad(flags, payload, priority: false);
        var endStream = (flags & Http2Protocol.FlagEndStream) != 0;
        Http2Stream? stream;
        uint connectionGrant = 0;
        uint streamGrant = 0;
        lock (_lock)
        {
            _connectionReceiveWindow -= frameLength;
            _connectionUnacknowledged += frameLength;
            if (_connectionReceiveWindow < 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "The server sent more DATA than the connection window allows.");
            }

            if (_connectionUnacknowledged >= ConnectionReceiveWindow / 2)
            {
                connectionGrant = (uint)_connectionUnacknowledged;
                _connectionReceiveWindow += _connectionUnacknowledged;
                _connectionUnacknowledged = 0;
            }

            if (_streams.TryGetValue(streamId, out stream))
            {
                stream.ReceiveWindow -= frameLength;
                stream.Unacknowledged += frameLength;
                if (stream.ReceiveWindow < 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"The server sent more DATA than stream {streamId}'s window allows.");
                }

                if (!endStream && stream.Unacknowledged >= StreamReceiveWindow / 2)
                {
                    streamGrant = (uint)stream.Unacknowledged;
                    stream.ReceiveWindow += stream.Unacknowledged;
                    stream.Unacknowledged = 0;
                }

                if (endStream)
                {
                    MarkRemoteClosed(stream);
                }
            }
        }

        if (connectionGrant > 0)
        {
            SendControl(Http2FrameType.WindowUpdate, 0, 0, connectionGrant);
        }

        if (streamGrant > 0)
        {
            SendControl(Http2FrameType.WindowUpdate, 0, streamId, streamGrant);
        }

        stream?.Handler.OnData(data, endStream); // a stream we already closed or reset: its bytes are dropped
    }

    private void OnHeadersFragment(byte flags, int streamId, ReadOnlySpan<byte> fragment)
    {
        if (_headerStreamId == 0)
        {
            _headerStreamId = streamId;
            _headerEndStream = (flags & Http2Protocol.FlagEndStream) != 0;
            _headerBlock.Clear();
        }

        if (_headerBlock.WrittenCount + fragment.Length > HpackDecoder.DefaultMaxHeaderListSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, "A header block larger than 256 KiB.");
        }

        fragment.CopyTo(_headerBlock.GetSpan(fragment.Length));
        _headerBlock.Advance(fragment.Length);
        if ((flags & Http2Protocol.FlagEndHeaders) == 0)
        {
            return;
        }

        _headerStreamId = 0;
        List<(string, string)> fields;
        try
        {
            // Decoded even for a stream we no longer track: the dynamic table must stay in step.
            fields = _decoder.Decode(_headerBlock.WrittenSpan);
        }
        catch (HpackException ex)
        {
            throw new Http2ConnectionException(Http2ErrorCode.CompressionError, ex.Message);
        }

        Http2Stream? stream;
        lock (_lock)
        {
            if (_streams.TryGetValue(streamId, out stream) && _headerEndStream)
            {
                MarkRemoteClosed(stream);
            }
        }

        stream?.Handler.OnHeaders(fields, _headerEndStream);
    }

    private void OnReset(int streamId, uint code)
    {
        Http2Stream? stream;
        lock (_lock)
        {
            if (!_streams.Remove(streamId, out stream))
            {
                return;
            }

            var error = (Http2ErrorCode)code;
            stream.Aborted = new Status(
                Http2Protocol.ToStatusCode(error),
                $"HTTP/2 stream error: The HTTP/2 server reset the stream. HTTP/2 error code '{Http2Protocol.Name(error)}' (0x{code:x}).");
        }

        SignalWindow();
        stream.Handler.OnAborted(stream.Aborted.Value);
    }

    private void MarkRemoteClosed(Http2Stream stream)
    {
        stream.RemoteClosed = true;
        if (stream.LocalClosed)
        {
            _streams.Remove(stream.Id);
        }
    }
}
