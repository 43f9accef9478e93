using Cluster.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Cluster.Router;

/// <summary>Builds the router host (also used by tests to run it in-process on free ports).</summary>
public static class RouterApp
{
    /// <summary>Role name and default ports: gRPC 50051, HTTP 8080.</summary>
    public static readonly ClusterHostDefaults Defaults = new("router", GrpcPort: 50051, HttpPort: 8080);

    public static WebApplication Build(string[] args) => ClusterHost.Build(args, Defaults);
}
