using Cluster.ClusterState;
using Cluster.Hosting;
using Cluster.Router.Api;
using Cluster.Router.Batch;
using Cluster.Router.Coordination;
using Cluster.Router.Orleans.Hosting;
using Cluster.Router.Tier;
using Microsoft.AspNetCore.Builder;

namespace Cluster.Router;

/// <summary>Builds the router host (also used by tests to run it in-process on free ports).</summary>
public static class RouterApp
{
    /// <summary>Role name and default ports: gRPC 50051, HTTP 8080.</summary>
    public static readonly ClusterHostDefaults Defaults = new("router", GrpcPort: 50051, HttpPort: 8080, ClientFacing: true);

    /// <summary>
    /// The router: cluster state, the request coordinator (routing, workers), the model catalog and text front end,
    /// gRPC <c>cluster.v1.Inference</c> and the OpenAI HTTP API. <paramref name="configure"/> runs after the router's
    /// own registrations, so tests can replace services (a later registration wins, e.g. a fake
    /// <see cref="IRequestCoordinator"/>).
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null) =>
        ClusterHost.Build(args, Defaults,
            builder =>
            {
                builder.Services.AddClusterState(builder.Configuration);
                builder.Services.AddRequestCoordinator(builder.Configuration);
                builder.Services.AddRouterApi(builder.Configuration);
                builder.Services.AddBatchApi(builder.Configuration); // OpenAI Batch API (issue 20)
                builder.Services.AddHostedService<DecodeReadiness>(); // readiness false while no decode worker is live
                if (builder.AddRouterTier())
                {
                    builder.Services.AddRouterTierSeams(); // admissions and request ids across every router (issue 14)
                }

                configure?.Invoke(builder);
            },
            app =>
            {
                app.MapRouterApi().MapBatchApi();
                app.MapWorkersEndpoint(); // GET /workers (cluster top's discovery)
            });
}
