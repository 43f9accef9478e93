using Cluster.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Cluster.Worker;

/// <summary>
/// Builds a worker host in one role (prefill, decode or colocated). Used by the PrefillWorker and DecodeWorker
/// executables, by <c>cluster up</c> (in-process) and by tests.
/// </summary>
public static class WorkerApp
{
    /// <summary>The colocated role (prefill and decode on one engine): gRPC 50081, HTTP 8083.</summary>
    public static readonly ClusterHostDefaults ColocatedDefaults = new("colocated", GrpcPort: 50081, HttpPort: 8083);

    /// <summary>
    /// The worker host. The engine role is <paramref name="defaults"/>' role unless <c>Engine:Role</c> says otherwise.
    /// <paramref name="configure"/> runs after the worker's own services are added (tests and <c>cluster up</c>
    /// replace <c>IWorkerRegistry</c> / <c>IPrefixIndex</c> with shared instances there).
    /// </summary>
    public static WebApplication Build(string[] args, ClusterHostDefaults defaults, Action<WebApplicationBuilder>? configure = null) =>
        ClusterHost.Build(
            args,
            defaults,
            builder =>
            {
                builder.AddWorker(defaults);
                configure?.Invoke(builder);
            },
            app => app.MapWorker());
}
