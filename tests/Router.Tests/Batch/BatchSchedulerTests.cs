using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Router.Batch;

namespace Cluster.Router.Tests.Batch;

public sealed class BatchSchedulerTests
{
    private const int BlockSize = 4;
    private static readonly BlockHasher Hasher = new(new ModelId("m"), BlockSize);

    private static BatchItem Item(int index, int[] prompt, int maxTokens = 8) =>
        new(index, Hasher.HashBlocks(prompt), prompt.Length, maxTokens);

    private static int[] Prompt(int system, int own, int systemBlocks = 3) =>
        [.. Enumerable.Range(1000 * system, systemBlocks * BlockSize), .. Enumerable.Range(100_000 + (own * 10), 6)];

    [Fact]
    public void Plan_PrefixGrouped_GroupsRequestsBySharedSystemPrompt_LeaderIsTheFirstInFileOrder()
    {
        // Random order of 2 system prompts, plus one request sharing nothing.
        var items = new[]
        {
            Item(0, Prompt(1, 0)), Item(1, Prompt(2, 1)), Item(2, Prompt(1, 2)), Item(3, [9, 9, 9, 9, 9]), Item(4, Prompt(2, 4)), Item(5, Prompt(1, 5)),
        };

        var plan = BatchScheduler.Plan(items, BatchSchedulingModes.PrefixGrouped, BlockSize);

        Assert.Equal(3, plan.Count);
        var one = plan.Single(g => g.Indices[0] == 0);
        Assert.Equal([0, 2, 5], one.Indices);
        Assert.Equal(3, one.SharedBlocks);
        Assert.Equal(Hasher.HashBlocks(Prompt(1, 0))[..3], one.Prefix);
        Assert.Equal([1, 4], plan.Single(g => g.Indices[0] == 1).Indices);
        Assert.Equal([3], plan.Single(g => g.Indices[0] == 3).Indices);
        Assert.Equal(12 + (3 * (18 - 12)), one.ComputeTokens); // the shared prefix once, each suffix
        Assert.Equal(24, one.OutputTokens);
    }

    [Fact]
    public void Plan_NestedPrefixes_GroupUnderTheDeepestSharedBlock()
    {
        int[] longer = [.. Prompt(1, 0, systemBlocks: 3)[..12], .. Enumerable.Range(500, 8)];
        var items = new[] { Item(0, Prompt(1, 0)), Item(1, longer), Item(2, longer), Item(3, Prompt(1, 3)) };

        var plan = BatchScheduler.Plan(items, BatchSchedulingModes.PrefixGrouped, BlockSize);

        Assert.Contains(plan, g => g.Indices.SequenceEqual([1, 2]) && g.SharedBlocks == 5);
        Assert.Contains(plan, g => g.Indices.SequenceEqual([0, 3]) && g.SharedBlocks == 3);
    }

    [Fact]
    public void Plan_FileOrder_OneGroupPerRequestInFileOrder()
    {
        var items = new[] { Item(2, Prompt(1, 2)), Item(0, Prompt(1, 0)), Item(1, Prompt(1, 1)) };

        var plan = BatchScheduler.Plan(items, BatchSchedulingModes.FileOrder, BlockSize);

        Assert.Equal([0, 1, 2], plan.Select(g => Assert.Single(g.Indices)));
    }

    [Fact]
    public void Blend_AlternatesComputeHeavyAndMemoryHeavyGroups()
    {
        BatchGroup G(int id, long compute, long output) => new([id], 0) { ComputeTokens = compute, OutputTokens = output };
        var groups = new[] { G(0, 100, 100), G(1, 1000, 10), G(2, 10, 1000), G(3, 500, 50), G(4, 50, 500) };

        var order = BatchScheduler.Blend(groups);

        Assert.Equal([1, 2, 3, 4, 0], order.Select(g => g.Indices[0]));
    }
}
