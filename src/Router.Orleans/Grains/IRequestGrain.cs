namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// One per live client request id (key: the client's label). Refuses a second live claim of the same id from any
/// router, holds the request's lifecycle (owner router, chosen workers, state) for the other replicas to read, and routes
/// a cancel naming the id from any router to the owner, for the owner's principal only.
/// Placed on the silo of the router that claims it first, so it lives and dies with that router's request.
/// </summary>
public interface IRequestGrain : IGrainWithStringKey
{
    /// <summary>
    /// Claims the id for <paramref name="owner"/>, run for <paramref name="principal"/> (the caller's API key fingerprint,
    /// or the anonymous principal); false (and the live owner) when another request holds it. <paramref name="canceller"/>
    /// is the owning router's callback for <see cref="CancelAsync"/> (null: the request cannot be cancelled by id).
    /// </summary>
    Task<RequestClaim> TryClaimAsync(RequestOwner owner, string principal, IRequestCanceller? canceller);

    /// <summary>Records the chosen prefill (empty: local) and decode workers, and the tokens delivered before this route (a migration's).</summary>
    Task RoutedAsync(string internalRequestId, string prefillWorker, string decodeWorker, int tokensDelivered);

    /// <summary>
    /// Records the end of the run of <paramref name="internalRequestId"/> (when it holds the id): state <c>finished</c>
    /// (<paramref name="completed"/>) or <c>stopped</c> (failed, cancelled, abandoned) and the tokens delivered in all.
    /// The id stays claimed until <see cref="ReleaseAsync"/>, which follows.
    /// </summary>
    Task EndedAsync(string internalRequestId, int tokensDelivered, bool completed);

    /// <summary>
    /// Cancels the live request when <paramref name="principal"/> is its owner's principal, through the owning router's
    /// canceller. False for an id that is free, held by another principal, or whose owner no longer runs it: the caller
    /// cannot tell these apart (one client's request is never reachable by another's id).
    /// </summary>
    Task<bool> CancelAsync(string principal);

    /// <summary>Frees the id when <paramref name="internalRequestId"/> holds it (the request ended); the grain then deactivates.</summary>
    Task ReleaseAsync(string internalRequestId);

    /// <summary>The live request's lifecycle, or null when the id is free.</summary>
    Task<RequestLifecycle?> GetAsync();
}
