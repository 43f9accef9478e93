using System.Buffers;
using System.Buffers.Binary;
using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Rpc;
using Cluster.KvTransfer.Client;
using Cluster.Rpc.Client.Http2;
using Google.Protobuf;

namespace Cluster.KvTransfer.Tests;

public sealed class KvFrameScatterWriterTests
{
    [Theory]
    [InlineData(4096, 0u, 0UL, 0u)]
    [InlineData(4096, 1u, ulong.MaxValue, 3u)]
    [InlineData(127_999, 300u, 0x0123456789ABCDEFUL, 0u)]
    [InlineData(1 << 20, uint.MaxValue, 7UL, 200u)]
    [InlineData((1 << 21) + 5, 5u, 1UL, 0u)]
    public void TryWrite_ChunkFrame_SameBytesAsGoogleProtobuf(int dataLength, uint sequence, ulong xxh64, uint shmSlot)
    {
        var data = new byte[dataLength];
        new Random(dataLength).NextBytes(data);
        var frame = new KvFrame
        {
            Chunk = new KvChunk
            {
                Sequence = sequence, LayerStart = 31, LayerCount = 1, BlockStart = 100_000, BlockCount = uint.MaxValue,
                Data = UnsafeByteOperations.UnsafeWrap(data), Xxh64 = xxh64, ShmSlot = shmSlot,
            },
        };
        using var payload = new ScatterPayload();

        Assert.True(KvFrameScatterWriter.TryWrite(frame, payload));
        var message = payload.Build();

        var expected = frame.ToByteArray();
        var bytes = message.ToArray();
        Assert.Equal(0, bytes[0]);
        Assert.Equal((uint)expected.Length, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1, 4)));
        Assert.Equal(expected, bytes[5..]);
        var byReference = false;
        foreach (var piece in message)
        {
            byReference |= piece.Span.Overlaps(data); // the data went by reference, not copied
        }

        Assert.True(byReference);
    }

    [Fact]
    public void TryWrite_HeaderSmallOrSlotChunkOrUnknownFields_LeftToTheMarshaller()
    {
        using var payload = new ScatterPayload();
        Assert.False(KvFrameScatterWriter.TryWrite(new KvFrame { Header = new KvHeader { Ticket = "t" } }, payload));
        Assert.False(KvFrameScatterWriter.TryWrite(new KvFrame { Chunk = new KvChunk { Data = ByteString.CopyFrom(new byte[4095]) } }, payload));
        Assert.False(KvFrameScatterWriter.TryWrite(new KvFrame { Chunk = new KvChunk { ShmSlot = 1, Xxh64 = 9 } }, payload));

        // A chunk parsed with a field this writer does not know (number 15) keeps it: the marshaller must write it.
        var known = new KvFrame { Chunk = new KvChunk { Sequence = 1, Data = ByteString.CopyFrom(new byte[8192]) } }.ToByteArray();
        var withUnknown = new KvChunk { Sequence = 1, Data = ByteString.CopyFrom(new byte[8192]) }.ToByteArray().Concat(new byte[] { 15 << 3, 42 }).ToArray();
        var frame = new KvFrame { Chunk = KvChunk.Parser.ParseFrom(withUnknown) };
        Assert.NotEqual(known.Length, frame.CalculateSize());
        Assert.False(KvFrameScatterWriter.TryWrite(frame, payload));
        Assert.Equal(5, payload.Build().Length); // nothing was written: only the gRPC message header
    }

    [Fact]
    public async Task Push_LargeChunksOverDirectHttp2_ArriveBitExact()
    {
        await using var f = await TransferFixture.StartAsync(transport: RpcClientStreamingTransport.DirectHttp2);
        var request = new RequestId("big");
        var (ticket, blocks, kv) = f.Reserve(request, tokens: 400);

        var result = await new KvPushClient(f.Client).PushAsync(TransferFixture.PushOf(ticket, 400, blocks, kv, maxChunkBytes: 1 << 20));

        Assert.True(result.Complete);
        Assert.Equal(4u, result.CommittedChunks); // one chunk per layer, each well above MinExternalBytes
        Assert.True(kv.Length / 4 >= KvFrameScatterWriter.MinExternalBytes);
        Assert.Equal(kv, f.Store.Contents(request));
    }

    [Fact]
    public async Task Push_LargeChunkWithWrongChecksumOverDirectHttp2_FailsWithDataLoss()
    {
        await using var f = await TransferFixture.StartAsync(transport: RpcClientStreamingTransport.DirectHttp2);
        KvFrameScatterWriter.Register();
        var (ticket, blocks, kv) = f.Reserve(new RequestId("big"), tokens: 400);
        var range = new KvChunkRange(0, 1, 0, blocks);
        var data = MemoryKvStore.Slice(TransferFixture.Layout, kv, blocks, range);
        var header = new KvHeader { Ticket = ticket, Model = "tiny", Layout = TransferFixture.Layout.ToProto(), TokenCount = 400 };
        var chunk = new KvChunk
        {
            LayerCount = 1, BlockCount = (uint)blocks, Data = ByteString.CopyFrom(data), Xxh64 = XxHash64.Hash(data) ^ 1,
        };

        var e = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(header, chunk));

        Assert.Equal(StatusCode.DataLoss, e.StatusCode);
        Assert.Equal(0, f.Store.Writes);
    }
}
