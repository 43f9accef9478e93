using Cluster.Router.Coordination;
using Cluster.Rpc;

namespace Cluster.Router.Api;

/// <summary>
/// Stands in until the cluster's request coordinator is registered: every request ends UNAVAILABLE saying so.
/// (Registered with TryAdd, so a real coordinator always wins.)
/// </summary>
internal sealed class UnwiredRequestCoordinator : IRequestCoordinator
{
    public IAsyncEnumerable<CoordinatorEvent> RunAsync(TokenizedRequest request, CancellationToken cancellationToken = default) =>
        throw new RpcException(new Status(StatusCode.Unavailable, "No request coordinator is registered in this router build."));
}
