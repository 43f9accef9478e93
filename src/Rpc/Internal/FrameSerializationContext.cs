using System.Buffers;
using System.Buffers.Binary;

namespace Cluster.Rpc.Internal;

/// <summary>
/// Serializes one message as a gRPC frame (flag, 4-byte big-endian length, payload) into an output buffer
/// writer. With a known length and no compression the marshaller writes straight into the output.
/// </summary>
internal sealed class FrameSerializationContext : SerializationContext, IBufferWriter<byte>
{
    private readonly IBufferWriter<byte> _output;
    private readonly bool _compress;
    private readonly int? _maxSize;
    private int _declaredLength = -1;
    private int _directWritten;
    private bool _direct;
    private PooledBufferWriter? _scratch;

    public FrameSerializationContext(IBufferWriter<byte> output, bool compress, int? maxSize)
    {
        _output = output;
        _compress = compress;
        _maxSize = maxSize;
    }

    public bool IsComplete { get; private set; }

    public override void SetPayloadLength(int payloadLength)
    {
        CheckSize(payloadLength);
        _declaredLength = payloadLength;
    }

    public override IBufferWriter<byte> GetBufferWriter()
    {
        if (_direct || _scratch is not null)
        {
            return _direct ? this : _scratch!;
        }

        if (!_compress && _declaredLength >= 0)
        {
            WriteHeader(_output, compressed: false, _declaredLength);
            _direct = true;
            return this;
        }

        _scratch = new PooledBufferWriter(_declaredLength >= 0 ? _declaredLength : 4096);
        return _scratch;
    }

    public override void Complete()
    {
        if (_direct)
        {
            if (_directWritten != _declaredLength)
            {
                throw new InvalidOperationException(
                    $"Marshaller declared {_declaredLength} bytes but wrote {_directWritten}.");
            }

            IsComplete = true;
            return;
        }

        if (_scratch is null)
        {
            throw new InvalidOperationException("Complete() called before GetBufferWriter().");
        }

        using (_scratch)
        {
            WritePayload(_scratch.WrittenSpan);
        }

        _scratch = null;
    }

    public override void Complete(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        WritePayload(payload);
    }

    void IBufferWriter<byte>.Advance(int count)
    {
        _directWritten += count;
        _output.Advance(count);
    }

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint) => _output.GetMemory(sizeHint);

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint) => _output.GetSpan(sizeHint);

    public static void WriteHeader(IBufferWriter<byte> output, bool compressed, int length)
    {
        var header = output.GetSpan(GrpcProtocol.HeaderSize);
        header[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)length);
        output.Advance(GrpcProtocol.HeaderSize);
    }

    private void WritePayload(ReadOnlySpan<byte> payload)
    {
        CheckSize(payload.Length);
        if (_compress)
        {
            using var compressed = new PooledBufferWriter(payload.Length / 2 + 64);
            GzipCodec.Compress(payload, compressed);
            WriteFrame(compressed.WrittenSpan, compressed: true);
        }
        else
        {
            WriteFrame(payload, compressed: false);
        }

        IsComplete = true;
    }

    private void WriteFrame(ReadOnlySpan<byte> payload, bool compressed)
    {
        WriteHeader(_output, compressed, payload.Length);
        while (!payload.IsEmpty)
        {
            var span = _output.GetSpan(Math.Min(payload.Length, 64 * 1024));
            var n = Math.Min(span.Length, payload.Length);
            payload[..n].CopyTo(span);
            _output.Advance(n);
            payload = payload[n..];
        }
    }

    private void CheckSize(int length)
    {
        if (length > _maxSize)
        {
            throw new RpcException(new Status(
                StatusCode.ResourceExhausted,
                $"Sending message exceeds the maximum configured message size ({length} > {_maxSize} bytes)."));
        }
    }
}
