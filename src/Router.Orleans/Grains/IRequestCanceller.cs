namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// A router's callback for the cancels of its requests (a grain observer, one per router process): the
/// <see cref="IRequestGrain"/> of a live request id calls its owner's canceller when a cancel for that id arrives at any
/// router. The owner cancels the request as a client disconnect does (Cancel reaches every worker it touched).
/// </summary>
public interface IRequestCanceller : IGrainObserver
{
    /// <summary>
    /// Cancels the running request <paramref name="internalRequestId"/> labelled <paramref name="label"/> when it is still
    /// live on this router and belongs to <paramref name="principal"/>; false otherwise.
    /// </summary>
    Task<bool> CancelAsync(string label, string internalRequestId, string principal);
}
