using System.Collections.Immutable;
using Cluster.ClusterState;

namespace Cluster.Router.Routing;

/// <summary>
/// Default prefill policy: the lowest estimated time to first token.
/// <code>
/// estimated TTFT(w) = (uncached prompt tokens on w + prefill tokens queued ahead on w) / prefill tokens per second of w
/// uncached = max(1, prompt tokens − leading blocks w holds × block size)
/// ahead    = for a normal (online) request, the normal-priority queue only; for a low-priority (batch) request, all of it
/// rate     = w's measured prefill rate; until it has measured one, the mean measured rate of the other candidates
///            (pools are usually one kind of hardware), or <see cref="DefaultPrefillTokensPerSecond"/> when none has
/// </code>
/// Assuming the default for an unmeasured worker next to measured peers made it look many times faster on a slow
/// machine (4,000 tokens/s against a measured 150), so a fresh worker won prompts whose prefix another worker held.
/// The queue term is never absent, so a worker holding the whole prefix still loses when its queue costs more than
/// recomputing elsewhere (cache-only routing makes hot spots: Dynamo #737, SGLang's load-aware fallback). A batch queue is
/// not ahead of an online request (the engine runs normal priority first), so an online request holding its prefix on a
/// worker busy with a batch still goes there (<see cref="RoutingCandidate.QueuedPrefillTokensAhead"/>). Ties (equal
/// estimates) are broken by the injected <see cref="Random"/>.
/// </summary>
public sealed class CacheAwarePrefillPolicy(Random random, double defaultPrefillTokensPerSecond = CacheAwarePrefillPolicy.DefaultPrefillTokensPerSecond) : IPrefillPolicy
{
    /// <summary>The rate assumed for a worker that has not measured one yet (tokens/s).</summary>
    public const double DefaultPrefillTokensPerSecond = 4000;

    public string Name => RoutingPolicyNames.CacheAware;

    public WorkerSelection Select(ImmutableArray<RoutingCandidate> candidates, PrefixOverlap overlap, RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(overlap);
        ArgumentNullException.ThrowIfNull(request);
        if (candidates.IsDefaultOrEmpty)
        {
            return WorkerSelection.NoCapacity("no live prefill worker");
        }

        var unmeasuredRate = MeanMeasuredRate(candidates) ?? defaultPrefillTokensPerSecond;
        return WorkerSelection.Of(TieBreak.Lowest(candidates, c => EstimatedSeconds(c, overlap, request, unmeasuredRate), random));
    }

    /// <summary>The mean of the candidates' measured prefill rates, or null when none has measured one.</summary>
    public static double? MeanMeasuredRate(ImmutableArray<RoutingCandidate> candidates)
    {
        var measured = candidates.Select(c => c.Worker.Load.PrefillTokensPerSecond).Where(r => r > 0 && double.IsFinite(r)).ToList();
        return measured.Count == 0 ? null : measured.Average();
    }

    /// <summary>The estimated time to first token on <paramref name="candidate"/>, in seconds.</summary>
    public static double EstimatedSeconds(RoutingCandidate candidate, PrefixOverlap overlap, RoutingRequest request, double defaultRate = DefaultPrefillTokensPerSecond)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(overlap);
        ArgumentNullException.ThrowIfNull(request);
        var measured = candidate.Worker.Load.PrefillTokensPerSecond;
        var rate = measured > 0 && double.IsFinite(measured) ? measured : defaultRate;
        var uncached = request.UncachedTokens(overlap.MatchedBlocks(candidate.Id));
        return (uncached + candidate.QueuedPrefillTokensAhead(request.Priority)) / rate;
    }
}
