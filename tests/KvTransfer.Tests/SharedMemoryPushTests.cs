using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.SharedMemory;
using Grpc.Core;

namespace Cluster.KvTransfer.Tests;

/// <summary>The same-host fast path: chunk bytes in a /dev/shm ring, slot numbers on the stream.</summary>
public sealed class SharedMemoryPushTests
{
    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Push_SharedMemoryRingOfTwoSlots_ArrivesBitExactAndDeletesTheRing(PushPath transport)
    {
        await using var f = await TransferFixture.StartAsync(transport: transport);
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);
        var before = RingFiles();
        // 2 slots for 40 chunks: every slot is reused many times, so the sender must wait for the receiver.
        var client = new KvPushClient(f.Client, new KvTransferOptions { SharedMemory = true, MaxChunkBytes = 256, SharedMemoryRingBytes = 512 });

        var result = await client.PushAsync(TransferFixture.PushOf(ticket, 40, blocks, kv, maxChunkBytes: 256));

        Assert.True(result.Complete);
        Assert.Equal(40u, result.CommittedChunks);
        Assert.True(client.UsesSharedMemory);   // the receiver mapped the ring (a refusal turns it off)
        Assert.Equal(kv, f.Store.Contents(new RequestId("r")));
        Assert.Equal(before, RingFiles());
    }

    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Push_FlippedByteInSlot_FailsWithDataLoss(PushPath transport)
    {
        await using var f = await TransferFixture.StartAsync(transport: transport);
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 8);
        using var ring = SharedMemoryChunkRing.Create(slots: 2, slotBytes: 256, consumed: 0);
        var range = KvChunkPlanner.ForAllLayers(TransferFixture.Layout, blocks, 256).First();
        var bytes = MemoryKvStore.Slice(TransferFixture.Layout, kv, blocks, range);
        var slot = ring.Slot(0, bytes.Length);
        bytes.CopyTo(slot);
        var checksum = XxHash64.Hash(slot);
        slot[3] ^= 1;

        var e = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(Header(ticket, 8, ring.ToProto()), Chunk(range, 1, checksum)));

        Assert.Equal(StatusCode.DataLoss, e.StatusCode);
        Assert.Equal(0, f.Store.Writes);
    }

    [Theory]
    [InlineData("/tmp/cluster-kv-x", "must be a file /dev/shm/cluster-kv-*")]
    [InlineData("/dev/shm/cluster-kv-does-not-exist", "cannot be opened here")]
    public async Task Push_RingTheReceiverCannotMap_IsUnimplementedSoTheSenderGoesInline(string path, string message)
    {
        await using var f = await TransferFixture.StartAsync();
        var (ticket, _, _) = f.Reserve(new RequestId("r"), tokens: 8);

        var e = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(Header(ticket, 8, new SharedMemoryRing { Path = path, Slots = 2, SlotBytes = 256, Nonce = 1 })));

        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        Assert.Contains(message, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_SlotWithoutRingOrOutsideIt_FailsWithInvalidArgument()
    {
        await using var f = await TransferFixture.StartAsync();
        var (ticket, blocks, _) = f.Reserve(new RequestId("r"), tokens: 8);
        using var ring = SharedMemoryChunkRing.Create(slots: 2, slotBytes: 256, consumed: 0);
        var range = KvChunkPlanner.ForAllLayers(TransferFixture.Layout, blocks, 256).First();

        var noRing = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(Header(ticket, 8, null), Chunk(range, 1, 0)));
        var outside = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(Header(ticket, 8, ring.ToProto()), Chunk(range, 3, 0)));

        Assert.Equal(StatusCode.InvalidArgument, noRing.StatusCode);
        Assert.Contains("announced no ring", noRing.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, outside.StatusCode);
        Assert.Equal(0, f.Store.Writes);
    }

    private static string[] RingFiles() =>
        SharedMemoryChunkRing.Available ? [.. Directory.GetFiles(SharedMemoryChunkRing.Directory, SharedMemoryChunkRing.FilePrefix + "*").Order()] : [];

    private static KvHeader Header(string ticket, uint tokens, SharedMemoryRing? ring) => new()
    {
        Ticket = ticket,
        Model = "tiny",
        Layout = TransferFixture.Layout.ToProto(),
        TokenCount = tokens,
        SharedMemory = ring,
    };

    private static KvChunk Chunk(KvChunkRange range, uint slot, ulong checksum) => new()
    {
        Sequence = 0,
        LayerStart = (uint)range.LayerStart,
        LayerCount = (uint)range.LayerCount,
        BlockStart = (uint)range.BlockStart,
        BlockCount = (uint)range.BlockCount,
        ShmSlot = slot,
        Xxh64 = checksum,
    };
}
