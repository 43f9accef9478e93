namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// One per live client request id (key: the client's label). Refuses a second live claim of the same id from any
/// router, and holds the request's lifecycle (owner router, chosen workers, state) for the other replicas to read.
/// Placed on the silo of the router that claims it first, so it lives and dies with that router's request.
/// </summary>
public interface IRequestGrain : IGrainWithStringKey
{
    /// <summary>Claims the id for <paramref name="owner"/>; false (and the live owner) when another request holds it.</summary>
    Task<RequestClaim> TryClaimAsync(RequestOwner owner);

    /// <summary>Records the chosen prefill (empty: local) and decode workers.</summary>
    Task RoutedAsync(string internalRequestId, string prefillWorker, string decodeWorker);

    /// <summary>Frees the id when <paramref name="internalRequestId"/> holds it (the request ended); the grain then deactivates.</summary>
    Task ReleaseAsync(string internalRequestId);

    /// <summary>The live request's lifecycle, or null when the id is free.</summary>
    Task<RequestLifecycle?> GetAsync();
}
