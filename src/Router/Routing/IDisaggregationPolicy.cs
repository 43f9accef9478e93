using Cluster.ClusterState;
using Cluster.Core.Ids;

namespace Cluster.Router.Routing;

/// <summary>
/// Conditional disaggregation (ARCHITECTURE §6): once a prefill worker P and a decode worker D are chosen, and the
/// request's uncached tokens on P reach the floor <c>Routing:MinDisaggregatedTokens</c>, whether P prefills and pushes
/// the KV to D, or D prefills the prompt itself. Chosen by <c>Routing:DisaggregationPolicy</c>
/// (<see cref="DisaggregationPolicyNames"/>). Thread-safe: one instance serves every request.
/// </summary>
public interface IDisaggregationPolicy
{
    string Name { get; }

    /// <summary>
    /// Disaggregate <paramref name="request"/> (<paramref name="prefill"/> prefills it and pushes its KV to
    /// <paramref name="decode"/>), or let <paramref name="decode"/> prefill it itself; with the reason.
    /// </summary>
    DisaggregationDecision Decide(RoutingCandidate prefill, RoutingCandidate decode, PrefixOverlap overlap, RoutingRequest request);

    /// <summary>Learns from a completed disaggregated prefill whose KV was pushed to <paramref name="decode"/>.</summary>
    void Observe(WorkerId decode, TransferSample sample);
}

/// <summary>A decision and its reason (the <c>reason</c> tag of <c>cluster.router.routing.decisions</c>).</summary>
public readonly record struct DisaggregationDecision(bool Disaggregate, string Reason);

/// <summary>
/// What a Prefill call reported about its KV push (PrefillResponse; 0 = not reported).
/// </summary>
/// <param name="PushedTokens">Tokens whose KV P pushed: the reserved tokens less those D already held (ReserveResponse.cached_tokens).</param>
/// <param name="TransferredBytes">transferred_bytes.</param>
/// <param name="ExposedMicroseconds">transfer_exposed_us: from the first token (prefill done) to D's last acknowledgement.</param>
/// <param name="TotalMicroseconds">transfer_total_us: the whole push.</param>
public readonly record struct TransferSample(int PushedTokens, long TransferredBytes, long ExposedMicroseconds, long TotalMicroseconds);
