using Cluster.Router.Api.Text;
using Cluster.Router.Orleans.Grains;

namespace Cluster.Router.Tier;

/// <summary>
/// This router's <see cref="IRequestCanceller"/> (one grain observer per process, held by DI for as long as the router
/// runs: Orleans keeps only a weak reference to an observer): a request grain calls it for a cancel, from any router,
/// of a request running here; it cancels through <see cref="LiveRequestLabels"/>, checking the principal again.
/// </summary>
public sealed class LocalRequestCanceller(LiveRequestLabels local) : IRequestCanceller
{
    public Task<bool> CancelAsync(string label, string internalRequestId, string principal) =>
        Task.FromResult(local.Cancel(label, principal, internalRequestId));
}
