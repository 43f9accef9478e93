using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;
using Cluster.Worker.Requests;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Tests.Requests;

public sealed class WorkerRequestsTests
{
    [Fact]
    public void QueuedPrefillTokens_AdmittedCacheHit_CountsOnlyItsUncachedTokens()
    {
        using var drain = new WorkerDrain(Options.Create(new WorkerOptions()), TimeProvider.System);
        var requests = new WorkerRequests(drain);
        using var hit = requests.TryBegin(new RequestId("hit"), 3100, CancellationToken.None)!;
        using var miss = requests.TryBegin(new RequestId("miss"), 3100, CancellationToken.None)!;
        using var done = requests.TryBegin(new RequestId("done"), 3100, CancellationToken.None)!;
        Assert.Equal(3 * 3100, requests.QueuedPrefillTokens);   // nothing admitted yet: every prompt counts whole

        var cached = 0;
        hit.Watch(() => cached);
        cached = 3072;                                          // the engine admitted it with its 3072-token prefix cached
        done.MarkStarted();

        // The router divides this by a rate of computed tokens: the hit's 3072 cached tokens are no work.
        Assert.Equal(28 + 3100, requests.QueuedPrefillTokens);
    }

    [Fact]
    public void QueuedPrefill_LowPriorityRequests_ReportedApartFromTheTotal()
    {
        using var drain = new WorkerDrain(Options.Create(new WorkerOptions()), TimeProvider.System);
        var requests = new WorkerRequests(drain);
        using var online = requests.TryBegin(new RequestId("online"), 500, CancellationToken.None)!;
        using var batchHit = requests.TryBegin(new RequestId("batch-hit"), 3100, CancellationToken.None, EnginePriority.Low)!;
        using var batchMiss = requests.TryBegin(new RequestId("batch-miss"), 2000, CancellationToken.None, EnginePriority.Low)!;
        using var batchDone = requests.TryBegin(new RequestId("batch-done"), 4000, CancellationToken.None, EnginePriority.Low)!;
        batchHit.Watch(() => 3072);   // admitted with its shared prefix cached
        batchDone.MarkStarted();      // has its first token: no longer queued

        // The total keeps its meaning (every priority); the low part is what an online request does not wait behind.
        Assert.Equal((500 + 28 + 2000, 28 + 2000), requests.QueuedPrefill());
        Assert.Equal(500 + 28 + 2000, requests.QueuedPrefillTokens);
        Assert.Equal(EnginePriority.Low, batchHit.Priority);
        Assert.Equal(EnginePriority.Normal, online.Priority);
    }
}
