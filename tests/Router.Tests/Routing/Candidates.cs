using System.Collections.Immutable;
using Cluster.ClusterState;
using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Cluster.Router.Routing;

namespace Cluster.Router.Tests.Routing;

/// <summary>Builds policy inputs: workers with a given load, and prefix overlaps.</summary>
internal static class Candidates
{
    public static readonly ModelId Model = new("m");

    public static RoutingCandidate Worker(
        string id,
        WorkerRole role = WorkerRole.Prefill,
        long queuedPrefillTokens = 0,
        double prefillRate = 0,
        int running = 0,
        int freeBlocks = 1000,
        int totalBlocks = 1000,
        int maxBatch = 16,
        RouterInFlight inFlight = default,
        RouterInFlight otherRouters = default,
        long queuedLowPriorityPrefillTokens = 0) =>
        new(new WorkerSnapshot(
                new WorkerInfo(new WorkerId(id), role, Model, $"http://{id}:1", $"http://{id}:2", totalBlocks, maxBatch),
                new WorkerLoad(freeBlocks, running, 0, queuedPrefillTokens, prefillRate, 0, queuedLowPriorityPrefillTokens),
                DateTimeOffset.UnixEpoch),
            inFlight,
            otherRouters);

    public static ImmutableArray<RoutingCandidate> Of(params RoutingCandidate[] candidates) => [.. candidates];

    public static PrefixOverlap Overlap(params (string Worker, int Blocks)[] held) =>
        new(held.ToImmutableDictionary(h => new WorkerId(h.Worker), h => h.Blocks), IndexAvailable: true);

    /// <summary>How often each worker id is chosen over <paramref name="draws"/> selections.</summary>
    public static Dictionary<string, int> Tally(Func<WorkerSelection> select, int draws)
    {
        var tally = new Dictionary<string, int>();
        for (var i = 0; i < draws; i++)
        {
            var id = select().Chosen!.Id.Value;
            tally[id] = tally.GetValueOrDefault(id) + 1;
        }

        return tally;
    }
}
