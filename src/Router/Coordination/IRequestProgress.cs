namespace Cluster.Router.Coordination;

/// <summary>
/// Where the coordinator reports a request's stage boundaries (<see cref="TokenizedRequest.Progress"/>): each route it
/// takes (the first, and each migration's), and its end. Implementations return at once and never throw (the hot path).
/// </summary>
public interface IRequestProgress
{
    /// <summary>The request was routed to <paramref name="prefillWorker"/> (empty: the decode worker prefills) and <paramref name="decodeWorker"/>, after <paramref name="tokensDelivered"/> tokens.</summary>
    void Routed(string prefillWorker, string decodeWorker, int tokensDelivered);

    /// <summary>
    /// The run ended, once: <paramref name="completed"/> when it finished (a finish reason reached the caller), false when
    /// it failed, was cancelled or was abandoned; <paramref name="tokensDelivered"/> tokens generated in all.
    /// </summary>
    void Ended(int tokensDelivered, bool completed);
}
