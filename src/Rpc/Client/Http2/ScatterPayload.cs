using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client.Http2;

/// <summary>
/// Writes one request message of the direct HTTP/2 transport as pieces: small bytes encoded into a pooled buffer
/// (<see cref="Inline"/>) and large byte ranges sent straight from the caller's memory (<see cref="AppendExternal"/>),
/// so a 1 MiB field is not copied into a serialization buffer first. The bytes on the wire are exactly those of the
/// method's marshaller; memory appended must stay unchanged until the write that sent it has completed.
/// </summary>
public sealed class ScatterPayload : IDisposable
{
    private readonly PooledBufferWriter _inline = new(256);
    private readonly List<(int Start, int Length, ReadOnlyMemory<byte> External)> _pieces = [];
    private int _pieceStart = GrpcProtocol.HeaderSize;
    private long _external;

    public ScatterPayload()
    {
        _inline.Advance(GrpcProtocol.HeaderSize); // the gRPC message header, filled in by Build
    }

    /// <summary>Where small fields are written (appended after everything written so far).</summary>
    public IBufferWriter<byte> Inline => _inline;

    /// <summary>Appends <paramref name="bytes"/> by reference: they go to the socket from this memory.</summary>
    public void AppendExternal(ReadOnlyMemory<byte> bytes)
    {
        CloseInlinePiece();
        _pieces.Add((0, 0, bytes));
        _external += bytes.Length;
    }

    /// <summary>The whole gRPC message (5-byte header, then the payload pieces in order); valid until disposed.</summary>
    public ReadOnlySequence<byte> Build(int? maxSize = null)
    {
        CloseInlinePiece();
        var length = _inline.WrittenCount - GrpcProtocol.HeaderSize + _external;
        if (length > (maxSize ?? int.MaxValue))
        {
            throw new RpcException(new Status(
                StatusCode.ResourceExhausted,
                $"Sending message exceeds the maximum configured message size ({length} > {maxSize} bytes)."));
        }

        var memory = MemoryMarshal.AsMemory(_inline.WrittenMemory);
        memory.Span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(memory.Span[1..], (uint)length);
        Segment? first = null, last = null;
        Append(ref first, ref last, memory[..GrpcProtocol.HeaderSize]);
        foreach (var (start, count, external) in _pieces)
        {
            Append(ref first, ref last, count > 0 ? memory.Slice(start, count) : external);
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    public void Dispose() => _inline.Dispose();

    private void CloseInlinePiece()
    {
        if (_inline.WrittenCount > _pieceStart)
        {
            _pieces.Add((_pieceStart, _inline.WrittenCount - _pieceStart, default));
            _pieceStart = _inline.WrittenCount;
        }
    }

    private static void Append(ref Segment? first, ref Segment? last, ReadOnlyMemory<byte> memory)
    {
        if (memory.IsEmpty)
        {
            return;
        }

        var segment = new Segment(memory, last is null ? 0 : last.RunningIndex + last.Memory.Length);
        if (last is null)
        {
            first = segment;
        }
        else
        {
            last.SetNext(segment);
        }

        last = segment;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}

/// <summary>
/// Writes messages of one marshaller as a <see cref="ScatterPayload"/> on the direct HTTP/2 transport; returns false
/// for a message it leaves to the marshaller (then serialized as usual).
/// </summary>
public delegate bool ScatterSerializer<in T>(T message, ScatterPayload payload);

/// <summary>Scatter serializers registered per marshaller (the direct HTTP/2 transport looks them up per write).</summary>
public static class ScatterSerializers
{
    private static readonly ConditionalWeakTable<object, object> s_byMarshaller = new();

    /// <summary>Registers <paramref name="serializer"/> for requests written with <paramref name="marshaller"/>.</summary>
    public static void Register<T>(Marshaller<T> marshaller, ScatterSerializer<T> serializer)
    {
        ArgumentNullException.ThrowIfNull(marshaller);
        ArgumentNullException.ThrowIfNull(serializer);
        s_byMarshaller.AddOrUpdate(marshaller, serializer);
    }

    internal static ScatterSerializer<T>? Find<T>(Marshaller<T> marshaller) =>
        s_byMarshaller.TryGetValue(marshaller, out var found) ? (ScatterSerializer<T>)found : null;
}
