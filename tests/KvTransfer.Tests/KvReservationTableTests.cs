using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Cluster.KvTransfer.Reservations;
using Microsoft.Extensions.Options;

namespace Cluster.KvTransfer.Tests;

public sealed class KvReservationTableTests
{
    private static readonly KvCacheLayout Layout = TransferFixture.Layout;

    private static (KvReservationTable Table, MemoryKvStore Store, ManualTimeProvider Time) Create(int blocks = 10)
    {
        var store = new MemoryKvStore(Layout, blocks);
        var time = new ManualTimeProvider();
        return (new KvReservationTable(store, Options.Create(new KvTransferOptions { Lease = TimeSpan.FromSeconds(30) }), time), store, time);
    }

    [Fact]
    public void Reserve_Fits_ReturnsTicketBlocksAndLease()
    {
        var (table, store, time) = Create();
        var result = table.Reserve(new RequestId("r"), tokens: 9, "tiny", Layout);
        Assert.True(result.Succeeded);
        Assert.Equal(3, result.Blocks);
        Assert.Equal(32, result.Ticket!.Length);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(30), result.LeaseExpiresAt);
        Assert.Equal(3, store.UsedBlocks);
    }

    [Fact]
    public void Reserve_CacheFull_FailsWithCacheFullAndHoldsNothing()
    {
        var (table, store, _) = Create(blocks: 2);
        var result = table.Reserve(new RequestId("r"), tokens: 9);
        Assert.Equal(ReserveFailure.CacheFull, result.Failure);
        Assert.Equal(0, store.UsedBlocks);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Reserve_OtherModelOrLayout_FailsWithMismatchNamingBoth()
    {
        var (table, _, _) = Create();
        var model = table.Reserve(new RequestId("r"), 4, "other");
        Assert.Equal(ReserveFailure.Mismatch, model.Failure);
        Assert.Contains("'tiny'", model.Message);
        var layout = table.Reserve(new RequestId("r"), 4, "tiny", Layout with { HeadDim = 16 });
        Assert.Equal(ReserveFailure.Mismatch, layout.Failure);
        Assert.Contains("16 head dim", layout.Message);
    }

    [Fact]
    public void Reserve_SameRequestTwice_FailsWithAlreadyReserved()
    {
        var (table, store, _) = Create();
        Assert.True(table.Reserve(new RequestId("r"), 4).Succeeded);
        Assert.Equal(ReserveFailure.AlreadyReserved, table.Reserve(new RequestId("r"), 4).Failure);
        Assert.Equal(1, store.UsedBlocks);
    }

    [Fact]
    public void LeaseExpiry_FreesBlocksAndForgetsTicket()
    {
        var (table, store, time) = Create();
        var ticket = table.Reserve(new RequestId("r"), 4).Ticket!;
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.NotNull(table.Find(ticket));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(table.Find(ticket));
        Assert.Equal(0, store.UsedBlocks);
    }

    [Fact]
    public void Renew_BeforeExpiry_ExtendsLease()
    {
        var (table, store, time) = Create();
        var ticket = table.Reserve(new RequestId("r"), 4).Ticket!;
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(table.Renew(ticket));
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.NotNull(table.Find(ticket));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(table.Find(ticket));
        Assert.False(table.Renew(ticket));
        Assert.Equal(0, store.UsedBlocks);
    }

    [Fact]
    public void Cancel_OpenReservation_FreesBlocks()
    {
        var (table, store, _) = Create();
        table.Reserve(new RequestId("r"), 4);
        Assert.True(table.Cancel(new RequestId("r")));
        Assert.False(table.Cancel(new RequestId("r")));
        Assert.Equal(0, store.UsedBlocks);
    }

    [Fact]
    public void TakeForDecode_NothingPushedYet_ReturnsNullAndKeepsReservation()
    {
        var (table, store, _) = Create();
        var ticket = table.Reserve(new RequestId("r"), 4).Ticket!;
        Assert.Null(table.TakeForDecode(ticket));
        Assert.NotNull(table.Find(ticket));
        Assert.Equal(1, store.UsedBlocks);
    }
}
