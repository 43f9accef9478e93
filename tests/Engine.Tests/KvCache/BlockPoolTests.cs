using Cluster.Core.Hashing;
using Cluster.Engine.KvCache;

namespace Cluster.Engine.Tests.KvCache;

public sealed class BlockPoolTests
{
    [Fact]
    public void TryAllocate_MoreThanAvailable_ReturnsNullAndTakesNothing()
    {
        var pool = new BlockPool(4);
        Assert.NotNull(pool.TryAllocate(3));
        Assert.Null(pool.TryAllocate(2));
        Assert.Equal(1, pool.AvailableBlocks);
    }

    [Fact]
    public void Release_UncachedBlock_ReturnsToFreeList()
    {
        var pool = new BlockPool(2);
        var blocks = pool.TryAllocate(2)!;
        pool.Release(blocks[0]);
        Assert.Equal(1, pool.AvailableBlocks);
        Assert.Equal(0, pool.CachedBlocks);
        Assert.Empty(pool.DrainEvents());
    }

    [Fact]
    public void Release_MoreThanReferenced_ThrowsNamingTheBlock()
    {
        var pool = new BlockPool(1);
        var block = pool.TryAllocate(1)![0];
        pool.Release(block);
        var e = Assert.Throws<InvalidOperationException>(() => pool.Release(block));
        Assert.Contains("KV block 0", e.Message);
    }

    [Fact]
    public void TryReuse_CachedUnreferencedBlock_TakesItOutOfEviction()
    {
        var pool = new BlockPool(2);
        var block = pool.TryAllocate(1)![0];
        pool.Cache([block], [new BlockHash(42)], parent: null);
        pool.Release(block);
        Assert.Equal(2, pool.AvailableBlocks);

        Assert.True(pool.TryReuse(new BlockHash(42), out var reused));
        Assert.Equal(block, reused);
        Assert.Equal(1, pool.RefCount(block));
        Assert.Equal(1, pool.AvailableBlocks);
        Assert.False(pool.TryReuse(new BlockHash(43), out _));
    }

    [Fact]
    public void TryAllocate_UnderPressure_EvictsLeastRecentlyReleasedFirst()
    {
        var pool = new BlockPool(3);
        var blocks = pool.TryAllocate(3)!;
        pool.Cache(blocks, [new BlockHash(1), new BlockHash(2), new BlockHash(3)], parent: null);
        pool.Release(blocks[1]);
        pool.Release(blocks[0]);
        pool.Release(blocks[2]);
        pool.DrainEvents();

        var taken = pool.TryAllocate(2)!;
        Assert.Equal([blocks[1], blocks[0]], taken);
        var removed = Assert.IsType<BlockRemovedEvent>(Assert.Single(pool.DrainEvents()));
        Assert.Equal([new BlockHash(2), new BlockHash(1)], removed.Hashes);
        Assert.False(pool.TryReuse(new BlockHash(1), out _));
        Assert.True(pool.TryReuse(new BlockHash(3), out _));
    }

    [Fact]
    public void Cache_HashAlreadyCachedElsewhere_KeepsFirstEntry()
    {
        var pool = new BlockPool(2);
        var blocks = pool.TryAllocate(2)!;
        pool.Cache([blocks[0]], [new BlockHash(7)], null);
        pool.Cache([blocks[1]], [new BlockHash(7)], null);
        Assert.Equal(1, pool.CachedBlocks);
        Assert.Single(pool.DrainEvents());
        pool.Release(blocks[1]);
        Assert.Equal(1, pool.AvailableBlocks);
    }

    [Fact]
    public void Events_AreNumberedWithoutGaps()
    {
        var pool = new BlockPool(2);
        var blocks = pool.TryAllocate(2)!;
        pool.Cache(blocks, [new BlockHash(1), new BlockHash(2)], null);
        pool.Release(blocks[0]);
        pool.Release(blocks[1]);
        pool.TryAllocate(1);
        pool.ClearCache();
        var events = pool.DrainEvents();
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Sequence));
        Assert.IsType<BlockStoredEvent>(events[0]);
        Assert.IsType<BlockRemovedEvent>(events[1]);
        Assert.IsType<AllClearedEvent>(events[2]);
        Assert.Equal(0, pool.CachedBlocks);
        Assert.Equal(1, pool.AvailableBlocks);
    }
}
