using Cluster.Contracts.V1;

namespace Cluster.Router.Routing;

/// <summary>What the policies need to know about a request.</summary>
/// <param name="PromptTokens">Tokens to prefill (the prompt, plus the tokens generated so far after a migration).</param>
/// <param name="BlockSize">Tokens per KV block (<c>Routing:BlockSize</c>).</param>
/// <param name="LocalPrefill">True when the decode worker prefills the prompt itself (no transfer): its cache matters.</param>
/// <param name="Priority">The request's priority: which queued work it waits behind
/// (<see cref="RoutingCandidate.QueuedPrefillTokensAhead"/>).</param>
public sealed record RoutingRequest(int PromptTokens, int BlockSize, bool LocalPrefill = false, RequestPriority Priority = RequestPriority.Normal)
{
    /// <summary>KV blocks the decode worker must hold for the prompt and the first generated token.</summary>
    public int BlocksNeeded => (PromptTokens + BlockSize) / BlockSize;

    /// <summary>Prompt tokens a worker holding <paramref name="matchedBlocks"/> leading blocks must still compute
    /// (at least one: the last prompt token is always run to produce the first output token).</summary>
    public int UncachedTokens(int matchedBlocks) => Math.Max(1, PromptTokens - (matchedBlocks * BlockSize));
}
