using System.Buffers;
using Cluster.Contracts.V1;
using Cluster.KvTransfer.Server;
using Google.Protobuf;

namespace Cluster.KvTransfer.Tests;

public sealed class PooledKvFrameParserTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void Parse_ChunkFrame_EqualsTheGeneratedParser(int dataLength)
    {
        var data = new byte[dataLength];
        new Random(dataLength).NextBytes(data);
        var frame = new KvFrame
        {
            Chunk = new KvChunk { Sequence = 300, LayerStart = 31, LayerCount = 1, BlockStart = 100_000, BlockCount = 7, Data = ByteString.CopyFrom(data), Xxh64 = ulong.MaxValue - 5, ShmSlot = 2 },
        };

        var parsed = PooledKvFrameParser.Parse(Split(frame.ToByteArray()));

        Assert.Equal(frame, parsed);
        PooledKvFrameParser.Return(parsed.Chunk);
    }

    [Fact]
    public void Parse_HeaderWithRingAndUnknownFields_EqualsTheGeneratedParser()
    {
        var frame = new KvFrame
        {
            Header = new KvHeader
            {
                Ticket = "t", Model = "m", TokenCount = 9, ResumeFromSequence = 3,
                Layout = new KvLayout { NumLayers = 2, NumKvHeads = 2, HeadDim = 8, Dtype = KvDtype.Bfloat16, BlockSize = 4 },
                SharedMemory = new SharedMemoryRing { Path = "/dev/shm/cluster-kv-x", Slots = 4, SlotBytes = 1024, Nonce = 42 },
            },
        };
        // A field this parser does not know (number 15, each wire type it can skip) must be ignored.
        byte[] unknown = [0x78, 0x05, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7A, 0x02, 9, 9, 0x7D, 1, 2, 3, 4];
        var bytes = unknown.Concat(frame.ToByteArray()).ToArray();

        Assert.Equal(frame, PooledKvFrameParser.Parse(new ReadOnlySequence<byte>(bytes)));
    }

    [Fact]
    public void Parse_DataLongerThanTheMessage_Throws()
    {
        var bytes = new KvFrame { Chunk = new KvChunk { Sequence = 1, Data = ByteString.CopyFrom(new byte[64]) } }.ToByteArray();

        Assert.Throws<InvalidDataException>(() => PooledKvFrameParser.Parse(new ReadOnlySequence<byte>(bytes[..^10])));
    }

    // The transport hands messages over as several segments.
    private static ReadOnlySequence<byte> Split(byte[] bytes)
    {
        if (bytes.Length < 3) return new ReadOnlySequence<byte>(bytes);
        var first = new Segment(bytes.AsMemory(0, bytes.Length / 3), 0);
        var last = first.Append(bytes.AsMemory(bytes.Length / 3));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
