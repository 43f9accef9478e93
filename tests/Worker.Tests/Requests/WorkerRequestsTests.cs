using Cluster.Core.Ids;
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
}
