using Cluster.Core.Hashing;
using Cluster.Core.Ids;

namespace Cluster.Core.Tests.Hashing;

public sealed class BlockHasherTests
{
    [Fact]
    public void HashBlocks_GoldenVectors_Match()
    {
        foreach (var c in GoldenVectors.Load().BlockHashes)
        {
            var hasher = new BlockHasher(new ModelId(c.Model), c.BlockSize, c.CacheSalt);
            var actual = hasher.HashBlocks(c.Tokens).Select(h => h.ToString()).ToArray();
            Assert.Equal(c.Hashes, actual);
        }
    }

    [Fact]
    public void HashBlocks_PartialTrailingBlock_IsIgnored()
    {
        var hasher = new BlockHasher(new ModelId("m"), 4);
        var full = hasher.HashBlocks([1, 2, 3, 4, 5, 6, 7, 8]);
        var withTail = hasher.HashBlocks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        Assert.Equal(full, withTail);
        Assert.Equal(2, full.Length);
    }

    [Fact]
    public void HashBlocks_SharedPrefix_SharesLeadingHashesOnly()
    {
        var hasher = new BlockHasher(new ModelId("m"), 2);
        var a = hasher.HashBlocks([1, 2, 3, 4, 5, 6]);
        var b = hasher.HashBlocks([1, 2, 3, 4, 9, 6]);
        Assert.Equal(a[..2], b[..2]);
        Assert.NotEqual(a[2], b[2]);
    }

    [Fact]
    public void HashBlock_Incremental_EqualsHashBlocks()
    {
        var hasher = new BlockHasher(new ModelId("m"), 3, "salt");
        int[] tokens = [5, 6, 7, 8, 9, 10, 11, 12, 13];
        BlockHash? parent = null;
        var incremental = new List<BlockHash>();
        for (var i = 0; i < 3; i++)
        {
            parent = hasher.HashBlock(parent, tokens.AsSpan(i * 3, 3));
            incremental.Add(parent.Value);
        }

        Assert.Equal(hasher.HashBlocks(tokens), incremental);
    }

    [Fact]
    public void Constructor_DifferentSaltOrModel_ChangesEveryHash()
    {
        int[] tokens = [1, 2, 3, 4];
        var baseline = new BlockHasher(new ModelId("m"), 4).HashBlocks(tokens)[0];
        Assert.NotEqual(baseline, new BlockHasher(new ModelId("m"), 4, "tenant").HashBlocks(tokens)[0]);
        Assert.NotEqual(baseline, new BlockHasher(new ModelId("n"), 4).HashBlocks(tokens)[0]);
    }

    [Fact]
    public void HashBlock_WrongLength_ThrowsNamingBlockSize()
    {
        var hasher = new BlockHasher(new ModelId("m"), 4);
        var e = Assert.Throws<ArgumentException>(() => hasher.HashBlock(null, [1, 2, 3]));
        Assert.Contains("exactly 4 tokens", e.Message);
    }
}
