using Cluster.Hosting;
using Cluster.Worker;
using Microsoft.AspNetCore.Builder;

namespace Cluster.PrefillWorker;

/// <summary>Builds the prefill worker host (also used by tests to run it in-process on free ports).</summary>
public static class PrefillWorkerApp
{
    /// <summary>Role name and default ports: gRPC 50061, HTTP 8081.</summary>
    public static readonly ClusterHostDefaults Defaults = new("prefill", GrpcPort: 50061, HttpPort: 8081);

    public static WebApplication Build(string[] args) => WorkerApp.Build(args, Defaults);
}
