using Grpc.Core;
using Grpc.Health.V1;

namespace Cluster.Hosting.HealthChecks;

/// <summary><c>grpc.health.v1.Health</c> over <see cref="HealthStatusRegistry"/>.</summary>
public sealed class HealthGrpcService(HealthStatusRegistry registry) : Health.HealthBase
{
    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context)
    {
        var status = registry.GetStatus(request.Service)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"Unknown service '{request.Service}'."));
        return Task.FromResult(new HealthCheckResponse { Status = status });
    }

    public override async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
    {
        await foreach (var status in registry.WatchAsync(request.Service, context.CancellationToken))
        {
            await responseStream.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken);
        }
    }
}
