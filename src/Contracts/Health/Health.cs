using Cluster.Contracts;
using Cluster.Rpc;

namespace Grpc.Health.V1;

/// <summary>Method descriptors and server binding of <c>grpc.health.v1.Health</c> (proto/grpc/health/v1).</summary>
public static partial class Health
{
    /// <summary>The service's full name.</summary>
    public const string ServiceName = "grpc.health.v1.Health";

    /// <summary>grpc.health.v1.Health/Check (Unary).</summary>
    public static readonly Method<HealthCheckRequest, HealthCheckResponse> CheckMethod = new(
        MethodType.Unary, ServiceName, "Check", ProtobufMarshaller.For(HealthCheckRequest.Parser), ProtobufMarshaller.For(HealthCheckResponse.Parser));

    /// <summary>grpc.health.v1.Health/Watch (ServerStreaming).</summary>
    public static readonly Method<HealthCheckRequest, HealthCheckResponse> WatchMethod = new(
        MethodType.ServerStreaming, ServiceName, "Watch", ProtobufMarshaller.For(HealthCheckRequest.Parser), ProtobufMarshaller.For(HealthCheckResponse.Parser));

    /// <summary>Binds an implementation's methods for <c>MapRpcService</c>.</summary>
    public static ServerServiceDefinition BindService(HealthBase service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return ServerServiceDefinition.CreateBuilder()
            .AddMethod(CheckMethod, service.Check)
            .AddMethod(WatchMethod, service.Watch)
            .Build();
    }
}
