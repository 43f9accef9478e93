using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Cluster.Contracts.V1;
using Google.Protobuf;

namespace Cluster.KvTransfer.Server;

/// <summary>
/// Parses a received <see cref="KvFrame"/> straight from the transport's buffers, copying a chunk's KV bytes once into
/// an array rented from <see cref="ArrayPool{T}.Shared"/> (the generated parser allocates a new array per chunk, a
/// large-object-heap allocation at the default 1 MiB). <see cref="Return"/> gives the array back once the chunk has
/// been written into the cache. Wire format: proto/cluster/v1/kv_transfer.proto; unknown fields are skipped.
/// </summary>
internal static class PooledKvFrameParser
{
    private static readonly ConditionalWeakTable<KvChunk, byte[]> s_rented = new();

    public static KvFrame Parse(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        var frame = new KvFrame();
        while (!reader.End)
        {
            var (field, wire) = ReadTag(ref reader);
            if (wire == 2 && field is 1 or 2)
            {
                var length = ReadLength(ref reader);
                var body = payload.Slice(reader.Position, length);
                reader.Advance(body.Length);
                if (field == 1) frame.Header = KvHeader.Parser.ParseFrom(body);
                else frame.Chunk = ParseChunk(body);
            }
            else
            {
                Skip(ref reader, wire);
            }
        }
        return frame;
    }

    /// <summary>Gives a parsed chunk's data array back to the pool; the chunk's data must not be read afterwards.</summary>
    public static void Return(KvChunk chunk)
    {
        if (s_rented.TryGetValue(chunk, out var array) && s_rented.Remove(chunk)) ArrayPool<byte>.Shared.Return(array);
    }

    private static KvChunk ParseChunk(ReadOnlySequence<byte> body)
    {
        var reader = new SequenceReader<byte>(body);
        var chunk = new KvChunk();
        while (!reader.End)
        {
            var (field, wire) = ReadTag(ref reader);
            switch (field, wire)
            {
                case (1, 0): chunk.Sequence = (uint)ReadVarint(ref reader); break;
                case (2, 0): chunk.LayerStart = (uint)ReadVarint(ref reader); break;
                case (3, 0): chunk.LayerCount = (uint)ReadVarint(ref reader); break;
                case (4, 0): chunk.BlockStart = (uint)ReadVarint(ref reader); break;
                case (5, 0): chunk.BlockCount = (uint)ReadVarint(ref reader); break;
                case (6, 2): chunk.Data = RentCopy(ref reader, chunk); break;
                case (7, 1): chunk.Xxh64 = ReadFixed64(ref reader); break;
                case (8, 0): chunk.ShmSlot = (uint)ReadVarint(ref reader); break;
                case (9, 0): chunk.IpcSlot = (uint)ReadVarint(ref reader); break;
                default: Skip(ref reader, wire); break;
            }
        }
        return chunk;
    }

    private static ByteString RentCopy(ref SequenceReader<byte> reader, KvChunk chunk)
    {
        var length = ReadLength(ref reader);
        if (s_rented.TryGetValue(chunk, out var earlier) && s_rented.Remove(chunk)) ArrayPool<byte>.Shared.Return(earlier);
        if (length == 0) return ByteString.Empty;
        var array = ArrayPool<byte>.Shared.Rent(length);
        if (!reader.TryCopyTo(array.AsSpan(0, length))) throw new InvalidDataException("A KV chunk's data runs past the end of the message.");
        reader.Advance(length);
        s_rented.AddOrUpdate(chunk, array);
        return UnsafeByteOperations.UnsafeWrap(array.AsMemory(0, length));
    }

    private static (int Field, int Wire) ReadTag(ref SequenceReader<byte> reader)
    {
        var tag = ReadVarint(ref reader);
        var field = (int)(tag >> 3);
        if (field == 0) throw new InvalidDataException("Field number 0 in a KV frame.");
        return (field, (int)(tag & 7));
    }

    private static int ReadLength(ref SequenceReader<byte> reader)
    {
        var length = ReadVarint(ref reader);
        if (length > (ulong)reader.Remaining) throw new InvalidDataException("A length-delimited field runs past the end of the KV frame.");
        return (int)length;
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b)) throw new InvalidDataException("A KV frame ends inside a varint.");
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("A varint in a KV frame is longer than 10 bytes.");
    }

    private static ulong ReadFixed64(ref SequenceReader<byte> reader)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (!reader.TryCopyTo(bytes)) throw new InvalidDataException("A KV frame ends inside a fixed64.");
        reader.Advance(8);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    private static void Skip(ref SequenceReader<byte> reader, int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(ref reader); break;
            case 1: Advance(ref reader, 8); break;
            case 2: Advance(ref reader, ReadLength(ref reader)); break;
            case 5: Advance(ref reader, 4); break;
            default: throw new InvalidDataException($"Unsupported wire type {wire} in a KV frame.");
        }
    }

    private static void Advance(ref SequenceReader<byte> reader, long count)
    {
        if (reader.Remaining < count) throw new InvalidDataException("A field runs past the end of the KV frame.");
        reader.Advance(count);
    }
}
