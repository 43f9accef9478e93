using Cluster.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Cluster.Worker;

/// <summary>
/// Builds a worker host in one role (prefill, decode or colocated). Used by the PrefillWorker and DecodeWorker
/// executables, by <c>cluster up</c> (in-process) and by tests.
/// </summary>
public static class WorkerApp
{
    /// <summary><paramref name="configure"/> runs after the worker's own services are added (tests and <c>cluster up</c>
    /// replace the cluster state or model there).</summary>
    public static WebApplication Build(string[] args, ClusterHostDefaults defaults, Action<WebApplicationBuilder>? configure = null) =>
        ClusterHost.Build(args, defaults, configure);
}
