using System.Collections.Concurrent;
using Cluster.ClusterState;
using Cluster.Core.Ids;

namespace Cluster.Router.Routing;

/// <summary>
/// Disaggregates when the request's TTFT change from disaggregating (the exposed push plus P's prefill, less the prefill
/// D would do itself) is smaller than the stall a local prefill imposes on D's running decodes (D's prefill):
/// <code>
/// uncached(W)     = max(1, prompt tokens − leading blocks W holds (prefix index) × block size)
/// transfer(D)     = exposed seconds per pushed token(D) × uncached(D)
/// prefill(W)      = uncached(W) / prefill tokens per second of W (W's measured rate; else the other worker's; else
///                   Routing:DefaultPrefillTokensPerSecond)
/// disaggregate   ⇔ transfer(D) + prefill(P) − prefill(D) &lt; prefill(D), i.e. transfer(D) + prefill(P) &lt; 2 × prefill(D),
///                  or D has no measurement yet
/// per token(D)   ← EWMA over D's completed pushes of transfer_exposed_us / 10⁶ / pushed tokens,
///                  weight Routing:TransferCostSmoothing on the newest sample
/// </code>
/// Where neither worker holds a prefix and both prefill at one rate this is <c>transfer(D) &lt; prefill(D)</c>. Where P
/// holds a long prefix D lacks, P's prefill is a small suffix, so the request goes to P: staying local would recompute
/// the prefix on D (a 1,024-token shared prefix with a 21-token suffix went local on a CPU cluster whose pushes cost more
/// per token than its prefill, and the holder's cache was wasted).
/// A sample counts only when the prefill worker reported the push (transferred_bytes and transfer_total_us &gt; 0);
/// its exposed time is capped at the total. Exposed time is the part of the push not hidden under P's compute, so
/// a layer-pipelined transfer that overlaps the prefill costs (nearly) nothing and stays disaggregated.
/// A decode worker whose requests stay local produces no new samples, so after <see cref="ProbeInterval"/> local
/// decisions in a row one request is disaggregated anyway (reason <c>probe</c>) to refresh the measurement: a
/// transfer that became cheaper (less load, a faster path) is noticed.
/// A decode worker that only ever receives KV never prefills, so it never measures a prefill rate. Assuming the default
/// for it (4,000 tokens/s, a CPU figure) made every local prefill look ~50× too slow on a GPU and disaggregated every
/// request (H100, 16 req/s: 80 of 80, TTFT 4.4× colocated's); P's measured rate is the better guess (pools are usually
/// one kind of hardware, and two workers sharing one GPU are exactly the same).
/// </summary>
public sealed class MeasuredCostDisaggregationPolicy(double smoothing, double defaultPrefillTokensPerSecond) : IDisaggregationPolicy
{
    /// <summary>Local decisions in a row for one decode worker after which one request is disaggregated to re-measure.</summary>
    public const int ProbeInterval = 32;

    private readonly ConcurrentDictionary<WorkerId, double> _secondsPerToken = new();
    private readonly ConcurrentDictionary<WorkerId, int> _localInARow = new();

    public string Name => DisaggregationPolicyNames.MeasuredCost;

    /// <summary>The learned exposed transfer seconds per pushed token into <paramref name="decode"/>; null before any sample.</summary>
    public double? SecondsPerToken(WorkerId decode) => _secondsPerToken.TryGetValue(decode, out var s) ? s : null;

    public DisaggregationDecision Decide(RoutingCandidate prefill, RoutingCandidate decode, PrefixOverlap overlap, RoutingRequest request)
    {
        ArgumentNullException.ThrowIfNull(prefill);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(overlap);
        ArgumentNullException.ThrowIfNull(request);
        if (SecondsPerToken(decode.Id) is not { } perToken)
        {
            return new(true, "unmeasured");
        }

        var uncachedOnDecode = request.UncachedTokens(overlap.MatchedBlocks(decode.Id));
        var uncachedOnPrefill = request.UncachedTokens(overlap.MatchedBlocks(prefill.Id));
        var decodeRate = Measured(decode) ?? Measured(prefill) ?? defaultPrefillTokensPerSecond;
        var prefillRate = Measured(prefill) ?? Measured(decode) ?? defaultPrefillTokensPerSecond;
        var localPrefill = uncachedOnDecode / decodeRate;
        if ((perToken * uncachedOnDecode) + (uncachedOnPrefill / prefillRate) < 2 * localPrefill)
        {
            _localInARow[decode.Id] = 0;
            return new(true, "transfer_cheaper");
        }

        if (_localInARow.AddOrUpdate(decode.Id, 1, (_, n) => n + 1) >= ProbeInterval)
        {
            _localInARow[decode.Id] = 0;
            return new(true, "probe");
        }

        return new(false, "local_cheaper");
    }

    private static double? Measured(RoutingCandidate worker) =>
        worker.Worker.Load.PrefillTokensPerSecond is var rate && rate > 0 && double.IsFinite(rate) ? rate : null;

    public void Observe(WorkerId decode, TransferSample sample)
    {
        if (sample.PushedTokens <= 0 || sample.TransferredBytes <= 0 || sample.TotalMicroseconds <= 0)
        {
            return; // no push, or not reported
        }

        var perToken = Math.Min(Math.Max(sample.ExposedMicroseconds, 0), sample.TotalMicroseconds) / 1e6 / sample.PushedTokens;
        _secondsPerToken.AddOrUpdate(decode, perToken, (_, old) => old + (smoothing * (perToken - old)));
    }
}
