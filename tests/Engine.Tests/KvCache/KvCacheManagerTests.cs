using Cluster.Core.Ids;
using Cluster.Engine.KvCache;

namespace Cluster.Engine.Tests.KvCache;

public sealed class KvCacheManagerTests
{
    private static readonly ModelId Model = new("tiny");

    private static int[] Tokens(int count, int start = 0) => [.. Enumerable.Range(start, count)];

    [Fact]
    public void TryAllocate_NewPrompt_TakesCeilBlocksAndCachesNothing()
    {
        var kv = new KvCacheManager(new BlockPool(10), Model, blockSize: 4);
        var allocation = kv.TryAllocate(new RequestId("a"), Tokens(9))!;
        Assert.Equal(3, allocation.Blocks.Count);
        Assert.Equal(0, allocation.CachedTokens);
        Assert.Equal(7, kv.Pool.AvailableBlocks);
    }

    [Fact]
    public void TryAllocate_SharedPrefixCommittedEarlier_ReusesItsFullBlocks()
    {
        var kv = new KvCacheManager(new BlockPool(10), Model, blockSize: 4);
        var a = new RequestId("a");
        var first = kv.TryAllocate(a, Tokens(10))!;
        kv.Commit(a, Tokens(10));
        kv.Free(a);

        int[] prompt = [.. Tokens(8), 99, 98, 97];
        var second = kv.TryAllocate(new RequestId("b"), prompt)!;
        Assert.Equal(8, second.CachedTokens);
        Assert.Equal(first.Blocks.Take(2), second.Blocks.Take(2));
        Assert.Equal(3, second.Blocks.Count);
    }

    [Fact]
    public void TryAllocate_WholePromptCached_LeavesLastTokenToCompute()
    {
        var kv = new KvCacheManager(new BlockPool(10), Model, blockSize: 4);
        var a = new RequestId("a");
        kv.TryAllocate(a, Tokens(8));
        kv.Commit(a, Tokens(8));
        kv.Free(a);

        var again = kv.TryAllocate(new RequestId("b"), Tokens(8))!;
        Assert.Equal(4, again.CachedTokens);
    }

    [Fact]
    public void TryAllocate_DifferentCacheSalt_SharesNothing()
    {
        var kv = new KvCacheManager(new BlockPool(10), Model, blockSize: 4);
        var a = new RequestId("a");
        kv.TryAllocate(a, Tokens(9), "tenant-1");
        kv.Commit(a, Tokens(9));
        Assert.Equal(0, kv.TryAllocate(new RequestId("b"), Tokens(9), "tenant-2")!.CachedTokens);
        Assert.Equal(8, kv.TryAllocate(new RequestId("c"), Tokens(9), "tenant-1")!.CachedTokens);
    }

    [Fact]
    public void TryAllocate_CacheFull_ReturnsNullAndReleasesReusedBlocks()
    {
        var kv = new KvCacheManager(new BlockPool(4), Model, blockSize: 4);
        var a = new RequestId("a");
        kv.TryAllocate(a, Tokens(9));
        kv.Commit(a, Tokens(9));
        Assert.Equal(1, kv.Pool.AvailableBlocks);

        Assert.Null(kv.TryAllocate(new RequestId("b"), Tokens(20)));
        Assert.Equal(1, kv.Pool.AvailableBlocks);
        Assert.All(kv.GetBlocks(a), block => Assert.Equal(1, kv.Pool.RefCount(block)));
    }

    [Fact]
    public void TryGrow_PastBlockBoundary_TakesABlockOnlyWhenNeeded()
    {
        var kv = new KvCacheManager(new BlockPool(3), Model, blockSize: 4);
        var a = new RequestId("a");
        kv.TryAllocate(a, Tokens(3));
        Assert.True(kv.TryGrow(a, 1));
        Assert.Single(kv.GetBlocks(a));
        Assert.True(kv.TryGrow(a, 1));
        Assert.Equal(2, kv.GetBlocks(a).Count);
        Assert.True(kv.TryGrow(a, 7));
        Assert.False(kv.TryGrow(a, 1));
        Assert.Equal(3, kv.GetBlocks(a).Count);
    }

    [Fact]
    public void Commit_GeneratedTokensFillBlocks_CachesThemIncrementally()
    {
        var kv = new KvCacheManager(new BlockPool(8), Model, blockSize: 4);
        var a = new RequestId("a");
        kv.TryAllocate(a, Tokens(3));
        kv.Commit(a, Tokens(3));
        Assert.Equal(0, kv.Pool.CachedBlocks);
        kv.TryGrow(a, 6);
        kv.Commit(a, Tokens(9));
        Assert.Equal(2, kv.Pool.CachedBlocks);
        var stored = kv.Pool.DrainEvents().OfType<BlockStoredEvent>().Single();
        Assert.Null(stored.Parent);
        Assert.Equal(2, stored.Hashes.Count);
    }

    [Fact]
    public void Commit_MoreTokensThanRoom_ThrowsNamingTheRequest()
    {
        var kv = new KvCacheManager(new BlockPool(8), Model, blockSize: 4);
        var a = new RequestId("req-1");
        kv.TryAllocate(a, Tokens(3));
        var e = Assert.Throws<InvalidOperationException>(() => kv.Commit(a, Tokens(5)));
        Assert.Contains("req-1", e.Message);
    }

    [Fact]
    public void Free_SharedPrefix_KeepsBlocksOfOtherSequence()
    {
        var kv = new KvCacheManager(new BlockPool(8), Model, blockSize: 4);
        var a = new RequestId("a");
        kv.TryAllocate(a, Tokens(9));
        kv.Commit(a, Tokens(9));
        var b = new RequestId("b");
        var shared = kv.TryAllocate(b, Tokens(9))!;
        Assert.Equal(2, kv.Pool.RefCount(shared.Blocks[0]));
        kv.Free(a);
        Assert.Equal(1, kv.Pool.RefCount(shared.Blocks[0]));
        Assert.True(kv.Free(b));
        Assert.False(kv.Free(b));
        Assert.Equal(0, kv.Pool.UsedBlocks);
    }

    [Fact]
    public void RandomRequestsWithRandomFrees_LeaveZeroBlocksUsedAndConsistentEvents()
    {
        var random = new Random(1234);
        var kv = new KvCacheManager(new BlockPool(64), Model, blockSize: 4);
        var live = new List<(RequestId Id, List<int> Tokens)>();
        int[][] systemPrompts = [Tokens(12, 1000), Tokens(20, 2000), Tokens(8, 3000)];
        var indexed = new HashSet<ulong>();
        for (var i = 0; i < 1000; i++)
        {
            if (live.Count > 0 && random.Next(3) == 0)
            {
                var victim = live[random.Next(live.Count)];
                live.Remove(victim);
                Assert.True(kv.Free(victim.Id));
            }

            var id = new RequestId($"r{i}");
            var prompt = systemPrompts[random.Next(3)].Concat(Tokens(random.Next(1, 30), random.Next(500))).ToList();
            if (kv.TryAllocate(id, prompt.ToArray()) is null)
            {
                continue;
            }

            kv.Commit(id, prompt.ToArray());
            for (var step = random.Next(6); step > 0 && kv.TryGrow(id, 1); step--)
            {
                prompt.Add(random.Next(500));
                kv.Commit(id, prompt.ToArray());
            }

            live.Add((id, prompt));
            ApplyEvents(kv.Pool.DrainEvents(), indexed);
        }

        foreach (var (id, _) in live)
        {
            Assert.True(kv.Free(id));
        }

        ApplyEvents(kv.Pool.DrainEvents(), indexed);
        Assert.Equal(0, kv.Pool.UsedBlocks);
        Assert.Equal(0, kv.SequenceCount);
        Assert.Equal(kv.Pool.CachedBlocks, indexed.Count);
        Assert.Equal(indexed.Order(), kv.Pool.CachedHashes().Select(h => h.Value).Order());
    }

    private static void ApplyEvents(IReadOnlyList<KvCacheEvent> events, HashSet<ulong> index)
    {
        foreach (var e in events)
        {
            switch (e)
            {
                case BlockStoredEvent stored:
                    Assert.All(stored.Hashes, h => Assert.True(index.Add(h.Value)));
                    break;
                case BlockRemovedEvent removed:
                    Assert.All(removed.Hashes, h => Assert.True(index.Remove(h.Value)));
                    break;
                case AllClearedEvent:
                    index.Clear();
                    break;
            }
        }
    }
}
