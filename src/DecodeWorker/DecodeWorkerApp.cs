using Cluster.Hosting;
using Cluster.Worker;
using Microsoft.AspNetCore.Builder;

namespace Cluster.DecodeWorker;

/// <summary>Builds the decode worker host (also used by tests to run it in-process on free ports).</summary>
public static class DecodeWorkerApp
{
    /// <summary>Role name and default ports: gRPC 50071, HTTP 8082.</summary>
    public static readonly ClusterHostDefaults Defaults = new("decode", GrpcPort: 50071, HttpPort: 8082);

    public static WebApplication Build(string[] args) => WorkerApp.Build(args, Defaults);
}
