using Cluster.Core.Ids;
using Cluster.Router.Routing;

namespace Cluster.Router.Coordination;

/// <summary>
/// The work other routers have admitted to a worker and not finished (the router tier's view, refreshed in the
/// background; ARCHITECTURE §6, "Router tier"). <see cref="WorkerPool"/> puts it on each candidate, so the policies see
/// every router's load without a call per decision. One router alone: <see cref="NoOtherRouters"/>.
/// </summary>
public interface IOtherRoutersLoad
{
    /// <summary>
    /// Other routers' prefills in flight (and their uncached tokens), decodes and reserved KV blocks on
    /// <paramref name="worker"/> (<see cref="RouterInFlight.None"/> when unknown).
    /// </summary>
    RouterInFlight Get(WorkerId worker);
}

/// <summary>No other router (the tier is off): nothing to add.</summary>
public sealed class NoOtherRouters : IOtherRoutersLoad
{
    public static readonly NoOtherRouters Instance = new();

    public RouterInFlight Get(WorkerId worker) => RouterInFlight.None;
}
