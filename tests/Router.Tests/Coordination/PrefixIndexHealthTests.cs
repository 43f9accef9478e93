using Cluster.ClusterState;
using Cluster.ClusterState.Events;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Hosting.HealthChecks;
using Cluster.Router.Coordination;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Coordination.CoordinatorHarness;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;

namespace Cluster.Router.Tests.Coordination;

/// <summary>A prefix index that stops answering makes the router's readiness say "degraded" (never not ready), until it answers again.</summary>
public sealed class PrefixIndexHealthTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RunAsync_IndexDown_ReadinessDegradedNotBlocked_IndexBack_Restored()
    {
        var index = new SwitchableIndex();
        var readiness = new Readiness();
        await using var harness = Create(configure: s => s.AddSingleton<IPrefixIndex>(index).AddSingleton(readiness));
        await harness.AddWorkerAsync("p1", WorkerRole.Prefill);
        await harness.AddWorkerAsync("d1", WorkerRole.Decode);

        index.Down = true;
        var (tokens, _) = await CollectAsync(harness.Coordinator.RunAsync(Request(maxTokens: 2))).WaitAsync(Bound);

        Assert.Equal(Expected(40, 2), tokens); // served on load alone
        Assert.Equal(PrefixIndexHealth.DegradedNote, readiness.Degraded);
        Assert.False(harness.Services.GetRequiredService<PrefixIndexHealth>().Available);
        Assert.DoesNotContain("prefix index", readiness.Reason, StringComparison.Ordinal); // the index never blocks readiness

        index.Down = false;
        await CollectAsync(harness.Coordinator.RunAsync(Request(maxTokens: 2))).WaitAsync(Bound);

        Assert.Equal("", readiness.Degraded);
        Assert.True(harness.Services.GetRequiredService<PrefixIndexHealth>().Available);
    }

    /// <summary>An index with nothing in it that answers "unavailable" while <see cref="Down"/>.</summary>
    private sealed class SwitchableIndex : IPrefixIndex
    {
        private volatile bool _down;

        public bool Down
        {
            get => _down;
            set => _down = value;
        }

        public Task<IndexWriteOutcome> ApplyAsync(KvEventBatch batch, CancellationToken cancellationToken = default) => Task.FromResult(IndexWriteOutcome.Applied);

        public Task<IndexWriteOutcome> ReplaceAllAsync(ModelId model, WorkerId worker, IReadOnlyCollection<BlockHash> blocks, long lastSequence, CancellationToken cancellationToken = default) =>
            Task.FromResult(IndexWriteOutcome.Applied);

        public Task<PrefixOverlap> FindOverlapAsync(ModelId model, IReadOnlyList<BlockHash> promptBlocks, CancellationToken cancellationToken = default) =>
            Task.FromResult(Down ? PrefixOverlap.Unavailable : PrefixOverlap.None);

        public Task<bool> RemoveWorkerAsync(ModelId model, WorkerId worker, CancellationToken cancellationToken = default) => Task.FromResult(true);
    }
}
