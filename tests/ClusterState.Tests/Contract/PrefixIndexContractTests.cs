using Cluster.ClusterState.Events;
using Cluster.Core.Hashing;
using static Cluster.ClusterState.Tests.Support.TestData;

namespace Cluster.ClusterState.Tests.Contract;

/// <summary>The behaviour every <see cref="IPrefixIndex"/> must have; run against each implementation by a subclass.</summary>
public abstract class PrefixIndexContractTests : IAsyncLifetime
{
    protected IPrefixIndex Index { get; private set; } = null!;

    protected abstract Task<IPrefixIndex> CreateIndexAsync();

    public async Task InitializeAsync() => Index = await CreateIndexAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task FindOverlap_EmptyIndex_ReturnsNoWorkers()
    {
        var overlap = await Index.FindOverlapAsync(ModelA, Blocks(1, 8));
        Assert.Empty(overlap.Blocks);
        Assert.True(overlap.IndexAvailable);
    }

    [Fact]
    public async Task FindOverlap_EmptyPrompt_ReturnsNoWorkers()
    {
        Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Stored(W(1), 1, Blocks(1, 4))));
        Assert.Empty((await Index.FindOverlapAsync(ModelA, [])).Blocks);
    }

    [Fact]
    public async Task FindOverlap_CountsLeadingBlocksOnly_StopsAtFirstMiss()
    {
        var b = Blocks(1, 6);
        await Index.ApplyAsync(Stored(W(1), 1, b[0], b[1], b[2]));
        await Index.ApplyAsync(Stored(W(2), 1, b[0], b[2], b[3], b[4], b[5])); // misses b[1]
        await Index.ApplyAsync(Stored(W(3), 1, b[1], b[2], b[3]));             // misses b[0]
        await Index.ApplyAsync(Stored(W(4), 1, b));                           // holds all

        var overlap = await Index.FindOverlapAsync(ModelA, b);

        Assert.Equal(3, overlap.MatchedBlocks(W(1)));
        Assert.Equal(1, overlap.MatchedBlocks(W(2)));
        Assert.False(overlap.Blocks.ContainsKey(W(3)));
        Assert.Equal(6, overlap.MatchedBlocks(W(4)));
        Assert.Equal(3, overlap.Blocks.Count);
    }

    [Fact]
    public async Task FindOverlap_LongPrompt_CountsPastAThousandBlocks()
    {
        var b = Blocks(14, 2500);
        await Index.ApplyAsync(Stored(W(1), 1, b[..2100]));
        await Index.ApplyAsync(Stored(W(2), 1, b));
        await Index.ApplyAsync(Stored(W(3), 1, b[..999]));

        var overlap = await Index.FindOverlapAsync(ModelA, b);

        Assert.Equal(2100, overlap.MatchedBlocks(W(1)));
        Assert.Equal(2500, overlap.MatchedBlocks(W(2)));
        Assert.Equal(999, overlap.MatchedBlocks(W(3)));
    }

    [Fact]
    public async Task Apply_BlockRemoved_ShortensOverlapAtTheHole()
    {
        var b = Blocks(2, 5);
        await Index.ApplyAsync(Stored(W(1), 1, b));
        Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Batch(W(1), ModelA, new BlockRemovedEvent(2, [b[3]]))));

        Assert.Equal(3, (await Index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));
    }

    [Fact]
    public async Task Apply_MixedEventsInOneBatch_AppliedInOrder()
    {
        var b = Blocks(3, 4);
        var outcome = await Index.ApplyAsync(Batch(W(1), ModelA,
            new BlockStoredEvent(1, [b[0], b[1]]),
            new AllClearedEvent(2),
            new BlockStoredEvent(3, [b[0], b[1], b[2]]),
            new BlockRemovedEvent(4, [b[2]]),
            new BlockStoredEvent(5, [b[3]])));

        Assert.Equal(IndexWriteOutcome.Applied, outcome);
        Assert.Equal(2, (await Index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));
    }

    [Fact]
    public async Task Apply_AllCleared_RemovesOnlyThatWorkersBlocks()
    {
        var b = Blocks(4, 3);
        await Index.ApplyAsync(Stored(W(1), 1, b));
        await Index.ApplyAsync(Stored(W(2), 1, b));
        Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Batch(W(1), ModelA, new AllClearedEvent(2))));

        var overlap = await Index.FindOverlapAsync(ModelA, b);
        Assert.Equal(0, overlap.MatchedBlocks(W(1)));
        Assert.Equal(3, overlap.MatchedBlocks(W(2)));
    }

    [Fact]
    public async Task Apply_SequenceGap_ReturnsResyncRequiredAndWritesNothing()
    {
        var b = Blocks(5, 4);
        await Index.ApplyAsync(Stored(W(1), 1, b[0]));
        await Index.ApplyAsync(Stored(W(1), 2, b[1]));

        Assert.Equal(IndexWriteOutcome.ResyncRequired, await Index.ApplyAsync(Stored(W(1), 4, b[2], b[3])));
        Assert.Equal(2, (await Index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));

        Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Stored(W(1), 3, b[2])));
        Assert.Equal(3, (await Index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));
    }

    [Fact]
    public async Task Apply_RepeatedBatch_ReturnsResyncRequired()
    {
        var b = Blocks(6, 2);
        Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Stored(W(1), 1, b[0])));
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await Index.ApplyAsync(Stored(W(1), 1, b[1])));
        Assert.Equal(1, (await Index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));
    }

    [Fact]
    public async Task Apply_UnknownWorkerNotStartingAtOne_ReturnsResyncRequired()
    {
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await Index.ApplyAsync(Stored(W(7), 501, Blocks(7, 2))));
        Assert.Empty((await Index.FindOverlapAsync(ModelA, Blocks(7, 2))).Blocks);
    }

    [Fact]
    public async Task ReplaceAll_SetsExactBlockSetAndSequence()
    {
        var old = Blocks(8, 3);
        var now = Blocks(9, 5);
        await Index.ApplyAsync(Stored(W(1), 1, old));
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await Index.ApplyAsync(Stored(W(1), 40, now[0])));

        Assert.Equal(IndexWriteOutcome.Applied, await Index.ReplaceAllAsync(ModelA, W(1), now[..4], 41));

        Assert.Empty((await Index.FindOverlapAsync(ModelA, old)).Blocks);
        Assert.Equal(4, (await Index.FindOverlapAsync(ModelA, now)).MatchedBlocks(W(1)));
        Assert.Equal(IndexWriteOutcome.ResyncRequired, await Index.ApplyAsync(Stored(W(1), 41, now[4])));
        Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Stored(W(1), 42, now[4])));
        Assert.Equal(5, (await Index.FindOverlapAsync(ModelA, now)).MatchedBlocks(W(1)));
    }

    [Fact]
    public async Task RemoveWorker_ForgetsItsBlocksAndSequence_OthersKeepTheirs()
    {
        var b = Blocks(10, 3);
        await Index.ApplyAsync(Stored(W(1), 1, b));
        await Index.ApplyAsync(Stored(W(1), 2, Blocks(11, 2)));
        await Index.ApplyAsync(Stored(W(2), 1, b[0]));

        Assert.True(await Index.RemoveWorkerAsync(ModelA, W(1)));

        var overlap = await Index.FindOverlapAsync(ModelA, b);
        Assert.Equal(0, overlap.MatchedBlocks(W(1)));
        Assert.Equal(1, overlap.MatchedBlocks(W(2)));
        Assert.Empty((await Index.FindOverlapAsync(ModelA, Blocks(11, 2))).Blocks);
        Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Stored(W(1), 1, b[0])));
    }

    [Fact]
    public async Task Models_AreIsolated_SameHashesAndWorkerIds()
    {
        var b = Blocks(12, 3);
        await Index.ApplyAsync(Stored(W(1), 1, b));
        await Index.ApplyAsync(Batch(W(1), ModelB, new BlockStoredEvent(1, [b[0]])));
        await Index.ApplyAsync(Batch(W(1), ModelB, new AllClearedEvent(2)));

        Assert.Equal(3, (await Index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));
        Assert.Empty((await Index.FindOverlapAsync(ModelB, b)).Blocks);
        Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Stored(W(1), 2, Blocks(13, 1))));
    }

    [Theory]
    [InlineData(1234, 5, 12)]
    [InlineData(77, 8, 40)]
    [InlineData(9, 8, 300)]
    public async Task FindOverlap_RandomOperations_MatchesPerWorkerSetModel(int seed, int workers, int promptBlocks)
    {
        var random = new Random(seed);
        var prompts = Enumerable.Range(0, 4).Select(p => Blocks(100 + p, promptBlocks)).ToArray();
        var held = Enumerable.Range(0, workers).Select(_ => new HashSet<BlockHash>()).ToArray();
        var seq = new long[workers];
        for (var step = 0; step < 150; step++)
        {
            var w = random.Next(workers);
            var prompt = prompts[random.Next(prompts.Length)];
            var chosen = random.Next(3) == 0
                ? prompt.Where(_ => random.NextDouble() < 0.9).ToArray()   // with holes
                : prompt[..random.Next(1, prompt.Length + 1)];              // a leading run
            KvEvent e = random.Next(12) switch
            {
                0 => new AllClearedEvent(++seq[w]),
                < 4 => new BlockRemovedEvent(++seq[w], chosen[random.Next(chosen.Length)..]),
                _ => new BlockStoredEvent(++seq[w], chosen),
            };
            switch (e)
            {
                case AllClearedEvent: held[w].Clear(); break;
                case BlockRemovedEvent removed: held[w].ExceptWith(removed.Blocks); break;
                default: held[w].UnionWith(chosen); break;
            }

            Assert.Equal(IndexWriteOutcome.Applied, await Index.ApplyAsync(Batch(W(w), ModelA, e)));
        }

        foreach (var prompt in prompts)
        {
            var overlap = await Index.FindOverlapAsync(ModelA, prompt);
            for (var w = 0; w < workers; w++)
            {
                var expected = prompt.TakeWhile(held[w].Contains).Count();
                Assert.Equal(expected, overlap.MatchedBlocks(W(w)));
            }
        }
    }
}
