using System.Diagnostics;
using Cluster.ClusterState;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;

namespace Cluster.Cli.Bench;

/// <summary>
/// The router tier's grain calls on a request's critical path (what it waits for before its Reserve/Prefill/Decode
/// goes out), two ways in the same run, alternating which goes first:
/// <list type="bullet">
/// <item><b>sequential</b> (before the overlap): decision (hash + lookup + policies), then the id claim, then the
/// admission on D;</item>
/// <item><b>overlapped</b> (the coordinator now): the claim starts, the decision runs, the claim is awaited; the
/// admission then runs alongside the Reserve on D. The bench has no worker to reserve on, so it reports the critical
/// path both ways: the admission hidden (a Reserve at least as long as the admission, which stays on the path in both
/// cases and is counted in neither) and the admission in full (no Reserve to hide it), with the admission's own time.</item>
/// </list>
/// </summary>
internal sealed class RouterDecisionBenchCriticalPath(RouterDecisionBenchTier tier, int decisions)
{
    public double[] Decision { get; } = new double[decisions];
    public double[] Lookup { get; } = new double[decisions];
    public double[] Policies { get; } = new double[decisions];
    public double[] Claim { get; } = new double[decisions];
    public double[] Admit { get; } = new double[decisions];
    public double[] Sequential { get; } = new double[decisions];
    public double[] OverlapDecision { get; } = new double[decisions];
    public double[] ClaimExposed { get; } = new double[decisions];
    public double[] OverlappedHidden { get; } = new double[decisions];
    public double[] OverlapAdmit { get; } = new double[decisions];
    public double[] OverlappedFull { get; } = new double[decisions];

    /// <summary>Both ways for measured decision <paramref name="i"/>; returns the overlap of the sequential one.</summary>
    public async Task<PrefixOverlap> MeasureAsync(int i, Func<Task<PrefixOverlap>> lookup, Func<PrefixOverlap, WorkerId> decide)
    {
        PrefixOverlap overlap;
        if (i % 2 == 0)
        {
            overlap = await SequentialAsync(i, lookup, decide).ConfigureAwait(false);
            await OverlappedAsync(i, lookup, decide).ConfigureAwait(false);
        }
        else
        {
            await OverlappedAsync(i, lookup, decide).ConfigureAwait(false);
            overlap = await SequentialAsync(i, lookup, decide).ConfigureAwait(false);
        }

        return overlap;
    }

    private async Task<PrefixOverlap> SequentialAsync(int i, Func<Task<PrefixOverlap>> lookup, Func<PrefixOverlap, WorkerId> decide)
    {
        var n = 2 * i;
        var t = Stopwatch.GetTimestamp();
        var overlap = await lookup().ConfigureAwait(false);
        Lookup[i] = Micros(t);
        var p = Stopwatch.GetTimestamp();
        var decode = decide(overlap);
        Policies[i] = Micros(p);
        Decision[i] = Micros(t);
        var c = Stopwatch.GetTimestamp();
        await tier.ClaimAsync(n).ConfigureAwait(false);
        Claim[i] = Micros(c);
        var a = Stopwatch.GetTimestamp();
        await tier.AdmitAsync(n, decode).ConfigureAwait(false);
        Admit[i] = Micros(a);
        Sequential[i] = Micros(t);
        await tier.ReleaseAsync(n, decode).ConfigureAwait(false); // at the request's end: not on its path
        return overlap;
    }

    private async Task OverlappedAsync(int i, Func<Task<PrefixOverlap>> lookup, Func<PrefixOverlap, WorkerId> decide)
    {
        var n = (2 * i) + 1;
        var t = Stopwatch.GetTimestamp();
        var claim = tier.ClaimAsync(n); // started, not awaited: TextGenerator hands it to the coordinator as the precondition
        var decode = decide(await lookup().ConfigureAwait(false));
        OverlapDecision[i] = Micros(t);
        var d = Stopwatch.GetTimestamp();
        await claim.ConfigureAwait(false);
        ClaimExposed[i] = Micros(d);
        OverlappedHidden[i] = Micros(t);
        var a = Stopwatch.GetTimestamp();
        await tier.AdmitAsync(n, decode).ConfigureAwait(false); // alongside the Reserve in the coordinator
        OverlapAdmit[i] = Micros(a);
        OverlappedFull[i] = OverlappedHidden[i] + OverlapAdmit[i];
        await tier.ReleaseAsync(n, decode).ConfigureAwait(false);
    }

    private static double Micros(long start) => Stopwatch.GetElapsedTime(start).TotalMicroseconds;
}
