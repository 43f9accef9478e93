namespace Cluster.Router.Routing;

/// <summary>
/// What this router has sent to one worker and not yet seen finish: it makes load react between heartbeats.
/// </summary>
/// <param name="Prefills">Prefill calls in flight.</param>
/// <param name="PrefillTokens">Prompt tokens of those calls still to be computed (uncached part), of every priority.</param>
/// <param name="Decodes">Requests reserved on or decoding on the worker.</param>
/// <param name="ReservedBlocks">KV blocks those requests need.</param>
/// <param name="LowPriorityPrefillTokens">Of <paramref name="PrefillTokens"/>, those of low-priority (batch) prefills.</param>
public readonly record struct RouterInFlight(int Prefills, long PrefillTokens, int Decodes, int ReservedBlocks, long LowPriorityPrefillTokens = 0)
{
    /// <summary>Nothing in flight.</summary>
    public static RouterInFlight None => default;

    /// <summary>Of <see cref="PrefillTokens"/>, those of normal-priority (online) prefills.</summary>
    public long NormalPriorityPrefillTokens => Math.Max(0, PrefillTokens - LowPriorityPrefillTokens);
}
