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

    private static EngineSequence Sequence(int arrival, int promptLength, int seed = 0, EnginePriority priority = EnginePriority.Normal)
    {
        var random = new Random(seed + arrival);
        var id = new RequestId($"s{arrival}");
        int[] prompt = [.. Enumerable.Range(0, promptLength).Select(_ => random.Next(256))];
        return new EngineSequence(id, prompt, new GenerationParameters { MaxTokens = 100, IgnoreEos = true }, arrival, 4096, new RequestHandle(id))
        {
            Priority = priority,
        };
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

    // One running sequence of 20 tokens (5 of 8 blocks; its next token takes a 6th), then a 16-token head (4 blocks, which
    // do not fit) and two 3-token prompts (1 block each, with room for their first output token) behind it.
    private static (KvCacheManager Kv, Scheduler Scheduler, EngineSequence Head, EngineSequence Small1, EngineSequence Small2) FullCacheBehindAHead(int bypassLimit)
    {
        var kv = new KvCacheManager(new BlockPool(8), Model, blockSize: 4);
        var scheduler = new Scheduler(kv, new EngineOptions { MaxBatchTokens = 64, AdmissionBypassLimit = bypassLimit });
        scheduler.AddWaiting(Sequence(1, 20));
        Complete(kv, scheduler.Schedule());
        var head = Sequence(2, 16);
        var small1 = Sequence(3, 3);
        var small2 = Sequence(4, 3);
        scheduler.AddWaiting(head);
        scheduler.AddWaiting(small1);
        scheduler.AddWaiting(small2);
        return (kv, scheduler, head, small1, small2);
    }

    [Fact]
    public void Schedule_HeadDoesNotFit_LaterArrivalsThatFitAreAdmittedAheadOfIt()
    {
        var (_, scheduler, head, small1, small2) = FullCacheBehindAHead(bypassLimit: 8);

        var step = scheduler.Schedule();

        Assert.Equal([1, 3, 3], step.Select(c => c.Count));     // the running decode, then both small prompts
        Assert.Equal([small1, small2], step.Skip(1).Select(c => c.Sequence));
        Assert.False(head.HoldsBlocks);
        Assert.Equal(2, head.Bypassed);
        Assert.Equal(2, scheduler.BypassedAdmissions);
        Assert.Equal(1, scheduler.WaitingCount);
    }

    [Fact]
    public void Schedule_BypassLimitZero_AdmitsStrictlyInArrivalOrder()
    {
        var (_, scheduler, head, _, _) = FullCacheBehindAHead(bypassLimit: 0);

        var step = scheduler.Schedule();

        Assert.Single(step);                                     // the running decode only: both small prompts wait behind the head
        Assert.Equal(0, head.Bypassed);
        Assert.Equal(3, scheduler.WaitingCount);
    }

    [Fact]
    public void Schedule_HeadOvertakenUpToTheLimit_ThenNothingMoreIsAdmittedBeforeIt()
    {
        var (kv, scheduler, head, small1, small2) = FullCacheBehindAHead(bypassLimit: 1);

        var step = scheduler.Schedule();
        Assert.Equal([small1], step.Skip(1).Select(c => c.Sequence));   // one overtaking, then the head's turn
        Assert.Equal(1, head.Bypassed);
        Complete(kv, step);

        // small2 fits the 1 free block but must wait: the head has been overtaken as often as allowed.
        var next = scheduler.Schedule();
        Assert.DoesNotContain(next, c => c.Sequence == small2 || c.Sequence == head);
        Assert.Equal(2, scheduler.WaitingCount);
    }

    [Fact]
    public void Schedule_OnlineArrivesAfterAWaitingLowPriorityOne_OnlineIsAdmittedFirst()
    {
        var kv = new KvCacheManager(new BlockPool(64), Model, blockSize: 4);
        var scheduler = new Scheduler(kv, new EngineOptions { MaxBatchTokens = 64, MaxSequences = 1 });
        var batch = Sequence(1, 5, priority: EnginePriority.Low);
        var online = Sequence(2, 5);
        scheduler.AddWaiting(batch);
        scheduler.AddWaiting(online);

        var step = scheduler.Schedule();

        Assert.Equal([online], step.Select(c => c.Sequence));
        Assert.False(batch.HoldsBlocks);
        Assert.Equal(0, batch.Bypassed);                          // ranked behind, not overtaken
        Assert.Equal(0, scheduler.BypassedAdmissions);
        Complete(kv, step);
        Assert.True(scheduler.Remove(online));
        Assert.Equal([batch], scheduler.Schedule().Select(c => c.Sequence));   // idle capacity: the batch request runs
    }

    [Fact]
    public void Schedule_LowPriorityPrefills_ShareTheStepsLowPriorityTokens_OnlinePromptsDoNot()
    {
        var kv = new KvCacheManager(new BlockPool(256), Model, blockSize: 4);
        var scheduler = new Scheduler(kv, new EngineOptions { MaxBatchTokens = 256, LowPriorityPrefillTokens = 24 });
        var batchA = Sequence(1, 40, priority: EnginePriority.Low);
        var batchB = Sequence(2, 40, priority: EnginePriority.Low);
        scheduler.AddWaiting(batchA);
        scheduler.AddWaiting(batchB);

        var first = scheduler.Schedule();
        Assert.Equal([batchA], first.Select(c => c.Sequence));   // 24 of A's 40: the share is spent, B waits unadmitted
        Assert.Equal([24], first.Select(c => c.Count));
        Assert.False(batchB.HoldsBlocks);
        Complete(kv, first);

        var online = Sequence(3, 100);
        scheduler.AddWaiting(online);
        var second = scheduler.Schedule();

        // The online prompt is not limited (all 100 tokens); A's last 16 and then 8 of B's fill the low-priority share.
        Assert.Equal([(batchA, 16), (online, 100), (batchB, 8)], second.Select(c => (c.Sequence, c.Count)));
        Complete(kv, second);
        var third = scheduler.Schedule();                       // decodes of A and the online one are not limited
        Assert.Equal([(online, 1), (batchA, 1), (batchB, 24)], third.Select(c => (c.Sequence, c.Count)));
    }

    [Fact]
    public void Schedule_NoBlockForAnOnlineDecode_PreemptsTheLowPrioritySequenceThoughItArrivedFirst()
    {
        var kv = new KvCacheManager(new BlockPool(4), Model, blockSize: 4);
        var scheduler = new Scheduler(kv, new EngineOptions { MaxBatchTokens = 64 });
        var batch = Sequence(1, 8, priority: EnginePriority.Low);   // 2 blocks, full
        var online = Sequence(2, 8);                                // 2 blocks, full
        scheduler.AddWaiting(batch);
        scheduler.AddWaiting(online);
        Complete(kv, scheduler.Schedule());
        Assert.Equal(0, kv.Pool.AvailableBlocks);

        var step = scheduler.Schedule();                            // each decode's 9th token needs a 3rd block

        Assert.Same(online, Assert.Single(step).Sequence);
        Assert.False(batch.HoldsBlocks);
        Assert.Equal(0, batch.Computed);
        Assert.Equal(1, scheduler.Preemptions);
        Assert.Equal(1, scheduler.LowPriorityPreemptions);
        Assert.Equal(1, scheduler.LowPriorityWaiting);
        Assert.Equal(0, scheduler.LowPriorityRunning);
    }

    [Fact]
    public void Schedule_StrictArrivalOrder_ALowPriorityHeadThatDoesNotFitDoesNotHoldBackLaterOnlineWork()
    {
        var kv = new KvCacheManager(new BlockPool(8), Model, blockSize: 4);
        var scheduler = new Scheduler(kv, new EngineOptions { MaxBatchTokens = 64, AdmissionBypassLimit = 0 });
        scheduler.AddWaiting(Sequence(1, 20));                     // 5 of 8 blocks
        Complete(kv, scheduler.Schedule());
        var batchHead = Sequence(2, 16, priority: EnginePriority.Low);   // 4 blocks: does not fit
        var batchSmall = Sequence(3, 3, priority: EnginePriority.Low);
        var online = Sequence(4, 3);
        scheduler.AddWaiting(batchHead);
        scheduler.AddWaiting(batchSmall);
        scheduler.AddWaiting(online);

        var step = scheduler.Schedule();

        // The online prompt ranks ahead of both batch requests; the small batch one still waits behind its head (limit 0).
        Assert.Equal([online], step.Skip(1).Select(c => c.Sequence));
        Assert.False(batchSmall.HoldsBlocks);
        Assert.Equal(0, scheduler.BypassedAdmissions);
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
