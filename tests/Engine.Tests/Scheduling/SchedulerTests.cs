using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;

namespace Cluster.Engine.Tests.Scheduling;

public sealed class SchedulerTests
{
    private static readonly ModelId Model = new("tiny");

    private static EngineSequence Sequence(int arrival, int promptLength, int seed = 0)
    {
        var random = new Random(seed + arrival);
        var id = new RequestId($"s{arrival}");
        int[] prompt = [.. Enumerable.Range(0, promptLength).Select(_ => random.Next(256))];
        return new EngineSequence(id, prompt, new GenerationParameters { MaxTokens = 100, IgnoreEos = true }, arrival, 4096, new RequestHandle(id));
    }

    // What the engine does after a step: the chunk's tokens are computed; a finished prompt gets a sampled token.
    private static void Complete(KvCacheManager kv, IEnumerable<ScheduledChunk> chunks)
    {
        foreach (var (sequence, _, count) in chunks)
        {
            sequence.Computed += count;
            kv.Commit(sequence.Id, sequence.Tokens.ToArray().AsSpan(0, sequence.Computed));
            if (sequence.Remaining == 0) sequence.Tokens.Add(7);
        }
    }

    [Fact]
    public void Schedule_DecodesAndLongPrompt_PiggybacksDecodesOnAChunkWithinTheBudget()
    {
        var kv = new KvCacheManager(new BlockPool(64), Model, blockSize: 4);
        var scheduler = new Scheduler(kv, new EngineOptions { MaxBatchTokens = 16 });
        var a = Sequence(1, 5);
        var b = Sequence(2, 6);
        scheduler.AddWaiting(a);
        scheduler.AddWaiting(b);
        Complete(kv, scheduler.Schedule());                     // both prompts (11 tokens) fit one step
        var c = Sequence(3, 40);
        scheduler.AddWaiting(c);

        var step = scheduler.Schedule();
        Assert.Equal([a, b, c], step.Select(x => x.Sequence));
        Assert.Equal([1, 1, 14], step.Select(x => x.Count));   // two decodes, then 14 prompt tokens of c
        Complete(kv, step);
        var next = scheduler.Schedule();
        Assert.Equal([1, 1, 14], next.Select(x => x.Count));
        Assert.Equal(14, next[2].Start);
    }

    [Fact]
    public void Schedule_NoBlockForADecode_PreemptsTheLatestArrivalAndRequeuesItFirst()
    {
        var kv = new KvCacheManager(new BlockPool(4), Model, blockSize: 4);
        var scheduler = new Scheduler(kv, new EngineOptions { MaxBatchTokens = 64 });
        var early = Sequence(1, 8);                              // 2 blocks, full
        var late = Sequence(2, 8);                               // 2 blocks, full
        scheduler.AddWaiting(early);
        scheduler.AddWaiting(late);
        Complete(kv, scheduler.Schedule());
        Assert.Equal(0, kv.Pool.AvailableBlocks);

        var step = scheduler.Schedule();                         // early's 9th token needs a 3rd block
        var only = Assert.Single(step);
        Assert.Same(early, only.Sequence);
        Assert.Equal(1, scheduler.Preemptions);
        Assert.Equal(1, scheduler.WaitingCount);
        Assert.False(late.HoldsBlocks);
        Assert.Equal(0, late.Computed);
        Assert.Equal(9, late.Tokens.Count);                      // recomputed later with its output so far
    }

    [Fact]
    public void Remove_RunningSequence_FreesItsBlocksAtOnce()
    {
        var kv = new KvCacheManager(new BlockPool(8), Model, blockSize: 4);
        var scheduler = new Scheduler(kv, new EngineOptions());
        var s = Sequence(1, 10);
        scheduler.AddWaiting(s);
        Complete(kv, scheduler.Schedule());
        Assert.Equal(3, kv.Pool.UsedBlocks);
        Assert.True(scheduler.Remove(s));
        Assert.Equal(0, kv.Pool.UsedBlocks);
        Assert.False(scheduler.HasWork);
    }
}
