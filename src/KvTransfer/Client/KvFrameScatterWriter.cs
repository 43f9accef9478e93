using Cluster.Contracts.V1;
using Cluster.Rpc.Client.Http2;
using Google.Protobuf;

namespace Cluster.KvTransfer.Client;

/// <summary>
/// Writes a chunk frame for the direct HTTP/2 transport without copying its KV bytes: the small fields are
/// protobuf-encoded into the transport's buffer and the data goes to the socket from the chunk's own memory. The bytes
/// are exactly those of <c>frame.WriteTo</c> (fields in number order: 1–5, data = 6, 7–8). Header frames, chunks
/// without data (shared-memory slots) and small chunks use the ordinary marshaller.
/// </summary>
internal static class KvFrameScatterWriter
{
    /// <summary>Below this many data bytes a copy costs less than the extra bookkeeping.</summary>
    public const int MinExternalBytes = 4096;

    private const uint ChunkTag = (2 << 3) | 2; // KvFrame.chunk, length-delimited
    private const uint DataTag = (6 << 3) | 2;  // KvChunk.data, length-delimited

    /// <summary>Makes the direct transport write Push frames through <see cref="TryWrite"/> (idempotent).</summary>
    public static void Register() =>
        ScatterSerializers.Register(Contracts.V1.KvTransfer.PushMethod.RequestMarshaller, TryWrite);

    public static bool TryWrite(KvFrame frame, ScatterPayload payload)
    {
        if (frame.FrameCase != KvFrame.FrameOneofCase.Chunk || frame.Chunk.Data.Length < MinExternalBytes)
        {
            return false;
        }

        var chunk = frame.Chunk;
        var head = new KvChunk
        {
            Sequence = chunk.Sequence,
            LayerStart = chunk.LayerStart,
            LayerCount = chunk.LayerCount,
            BlockStart = chunk.BlockStart,
            BlockCount = chunk.BlockCount,
        };
        var tail = new KvChunk { Xxh64 = chunk.Xxh64, ShmSlot = chunk.ShmSlot };
        var data = chunk.Data.Memory;
        var dataField = CodedOutputStream.ComputeRawVarint32Size(DataTag) + CodedOutputStream.ComputeLengthSize(data.Length) + data.Length;
        var chunkLength = head.CalculateSize() + dataField + tail.CalculateSize();
        if (chunkLength != chunk.CalculateSize() || frame.CalculateSize() != 1 + CodedOutputStream.ComputeLengthSize(chunkLength) + chunkLength)
        {
            return false; // fields this writer does not know (unknown fields kept from a parse): serialize as usual
        }

        WriteVarint(payload, ChunkTag);
        WriteVarint(payload, (uint)chunkLength);
        head.WriteTo(payload.Inline);
        WriteVarint(payload, DataTag);
        WriteVarint(payload, (uint)data.Length);
        payload.AppendExternal(data);
        tail.WriteTo(payload.Inline);
        return true;
    }

    private static void WriteVarint(ScatterPayload payload, uint value)
    {
        var span = payload.Inline.GetSpan(5);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        payload.Inline.Advance(n);
    }
}
