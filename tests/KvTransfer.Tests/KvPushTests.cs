using Cluster.Contracts.V1;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.KvTransfer.Client;
using Grpc.Core;
using Google.Protobuf;

namespace Cluster.KvTransfer.Tests;

public sealed class KvPushTests
{
    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Push_LayerByLayerChunks_ArrivesBitExactAndCompletes(PushPath transport)
    {
        await using var f = await TransferFixture.StartAsync(transport: transport);
        var request = new RequestId("r1");
        var (ticket, blocks, kv) = f.Reserve(request, tokens: 37);

        var result = await new KvPushClient(f.Client).PushAsync(TransferFixture.PushOf(ticket, 37, blocks, kv));

        Assert.True(result.Complete);
        Assert.Equal((ulong)kv.Length, result.CommittedBytes);
        Assert.Equal(kv, f.Store.Contents(request));
        var taken = f.Table.TakeForDecode(ticket);
        Assert.NotNull(taken);
        Assert.Equal(request, taken.Request);
        Assert.Null(f.Table.Find(ticket));
        Assert.Equal(blocks, f.Store.UsedBlocks);
    }

    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Push_FlippedByte_FailsWithDataLossAndWritesNothingOfThatChunk(PushPath transport)
    {
        await using var f = await TransferFixture.StartAsync(transport: transport);
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 8);
        var range = new KvChunkRange(0, 1, 0, blocks);
        var data = MemoryKvStore.Slice(TransferFixture.Layout, kv, blocks, range);
        var checksum = XxHash64.Hash(data);
        data[5] ^= 0x10;

        var e = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(Header(ticket, 8), Chunk(0, range, data, checksum)));

        Assert.Equal(StatusCode.DataLoss, e.StatusCode);
        Assert.Equal(0, f.Store.Writes);
        var state = await f.Client.GetTicketAsync(new TicketRequest { Ticket = ticket });
        Assert.Equal(0u, state.NextSequence);
    }

    [Theory]
    [InlineData(0, 1, 0, 99, "outside the reservation")]
    [InlineData(3, 2, 0, 1, "outside 0..3")]
    [InlineData(0, 0, 0, 1, "outside 0..3")]
    public async Task Push_RangeOutsideReservation_FailsWithInvalidArgumentAndWritesNothing(int layerStart, int layerCount, int blockStart, int blockCount, string message)
    {
        await using var f = await TransferFixture.StartAsync();
        var (ticket, _, _) = f.Reserve(new RequestId("r"), tokens: 8);
        var range = new KvChunkRange(layerStart, layerCount, blockStart, blockCount);
        var data = new byte[TransferFixture.Layout.RangeBytes(Math.Max(1, layerCount), blockCount)];

        var e = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(Header(ticket, 8), Chunk(0, range, data, XxHash64.Hash(data))));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(message, e.Status.Detail);
        Assert.Equal(0, f.Store.Writes);
    }

    [Fact]
    public async Task Push_WrongByteLength_FailsWithInvalidArgumentNamingBothLengths()
    {
        await using var f = await TransferFixture.StartAsync();
        var (ticket, _, _) = f.Reserve(new RequestId("r"), tokens: 8);
        var data = new byte[100];
        var e = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(Header(ticket, 8), Chunk(0, new KvChunkRange(0, 1, 0, 1), data, XxHash64.Hash(data))));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("100 bytes", e.Status.Detail);
    }

    [Fact]
    public async Task Push_UnknownOrExpiredTicket_FailsWithNotFound()
    {
        await using var f = await TransferFixture.StartAsync();
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 8);
        f.Time.Advance(TimeSpan.FromMinutes(1));
        var e = await Assert.ThrowsAsync<RpcException>(() => new KvPushClient(f.Client).PushAsync(TransferFixture.PushOf(ticket, 8, blocks, kv)));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal(0, f.Store.UsedBlocks);
    }

    [Fact]
    public async Task Push_WrongLayout_FailsWithInvalidArgument()
    {
        await using var f = await TransferFixture.StartAsync();
        var (ticket, _, _) = f.Reserve(new RequestId("r"), tokens: 8);
        var header = Header(ticket, 8);
        header.Layout.HeadDim = 64;
        var e = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(header));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("differs from the reservation", e.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Push_ResumeFromWrongSequence_FailsWithFailedPreconditionSayingWhereToResume(PushPath transport)
    {
        await using var f = await TransferFixture.StartAsync(transport: transport);
        var (ticket, _, _) = f.Reserve(new RequestId("r"), tokens: 8);
        var header = Header(ticket, 8);
        header.ResumeFromSequence = 3;
        var e = await Assert.ThrowsAsync<RpcException>(() => f.PushRawAsync(header));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        Assert.Contains("Resume from chunk 0", e.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Resume_AfterRefusedChunk_ContinuesFromLastCommittedChunkBitExact(PushPath transport)
    {
        await using var f = await TransferFixture.StartAsync(transport: transport);
        var request = new RequestId("r");
        var (ticket, blocks, kv) = f.Reserve(request, tokens: 40);
        var failed = 0;
        var push = TransferFixture.PushOf(ticket, 40, blocks, kv, maxChunkBytes: 256, tamper: (sequence, chunk) =>
            sequence == 5 && Interlocked.Exchange(ref failed, 1) == 0
                ? chunk with { Data = chunk.Data.ToArray().Take(chunk.Data.Length - 1).ToArray() }
                : chunk);

        // A truncated chunk is refused (INVALID_ARGUMENT is not resumable): the client reports it.
        var e = await Assert.ThrowsAsync<RpcException>(() => new KvPushClient(f.Client).PushAsync(push));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        var state = await f.Client.GetTicketAsync(new TicketRequest { Ticket = ticket });
        Assert.Equal(5u, state.NextSequence);

        // Pushing again resumes at chunk 5 and completes with the same bytes as an uninterrupted push.
        var result = await new KvPushClient(f.Client).ResumeAsync(TransferFixture.PushOf(ticket, 40, blocks, kv, maxChunkBytes: 256));
        Assert.True(result.Complete);
        Assert.Equal(kv, f.Store.Contents(request));
    }

    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Push_ReceiverFailsOnceMidStream_ResumesAutomaticallyBitExact(PushPath transport)
    {
        await using var f = await TransferFixture.StartAsync(transport: transport);
        var request = new RequestId("r");
        var (ticket, blocks, kv) = f.Reserve(request, tokens: 40);
        f.Store.FailWriteNumber = 4;

        var result = await new KvPushClient(f.Client).PushAsync(TransferFixture.PushOf(ticket, 40, blocks, kv, maxChunkBytes: 256));

        Assert.True(result.Complete);
        Assert.Equal(kv, f.Store.Contents(request));
        Assert.Equal((ulong)kv.Length, result.CommittedBytes);
    }

    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Push_SenderCancelsMidStream_ReservationStaysUntilLeaseExpires(PushPath transport)
    {
        await using var f = await TransferFixture.StartAsync(transport: transport);
        var request = new RequestId("r");
        var (ticket, blocks, kv) = f.Reserve(request, tokens: 40);
        using var cts = new CancellationTokenSource();
        var push = TransferFixture.PushOf(ticket, 40, blocks, kv, maxChunkBytes: 256, tamper: (sequence, chunk) =>
        {
            if (sequence == 3)
            {
                cts.Cancel();
            }

            return chunk;
        });

        await Assert.ThrowsAnyAsync<Exception>(() => new KvPushClient(f.Client).PushAsync(push, cts.Token));

        // The server may still commit chunks it had buffered (each renews the lease) until it sees the reset.
        var reservation = f.Table.Find(ticket);
        Assert.NotNull(reservation);
        Assert.True(SpinWait.SpinUntil(() => { lock (reservation.Gate) { return !reservation.Pushing; } }, TimeSpan.FromSeconds(30)),
            "The server's push handler did not end after the sender went away.");
        Assert.Equal(blocks, f.Store.UsedBlocks);
        f.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, f.Store.UsedBlocks);
    }

    [Theory]
    [MemberData(nameof(TransferFixture.Transports), MemberType = typeof(TransferFixture))]
    public async Task Push_ReceiverKilledMidStream_FailsUnavailableAfterBoundedResumeAttempts(PushPath transport)
    {
        var f = await TransferFixture.StartAsync(transport: transport);
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);
        var push = TransferFixture.PushOf(ticket, 40, blocks, kv, maxChunkBytes: 256, tamper: (sequence, chunk) =>
        {
            if (sequence == 4)
            {
                f.KillServerAsync().GetAwaiter().GetResult();
            }

            return chunk;
        });

        var e = await Assert.ThrowsAsync<RpcException>(() => new KvPushClient(f.Client, maxResumeAttempts: 2).PushAsync(push));

        // A connection torn down mid-call reads as UNAVAILABLE or INTERNAL depending on where the client was;
        // either way the push fails (the caller falls back to local recompute) instead of hanging.
        Assert.True(e.StatusCode is StatusCode.Unavailable or StatusCode.Internal, e.Status.ToString());
    }

    private static KvHeader Header(string ticket, uint tokens) => new()
    {
        Ticket = ticket,
        Model = "tiny",
        Layout = TransferFixture.Layout.ToProto(),
        TokenCount = tokens,
    };

    private static KvChunk Chunk(uint sequence, KvChunkRange range, byte[] data, ulong checksum) => new()
    {
        Sequence = sequence,
        LayerStart = (uint)range.LayerStart,
        LayerCount = (uint)range.LayerCount,
        BlockStart = (uint)range.BlockStart,
        BlockCount = (uint)range.BlockCount,
        Data = ByteString.CopyFrom(data),
        Xxh64 = checksum,
    };
}
