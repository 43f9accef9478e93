using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

/// <summary>Method descriptors and server binding of <c>cluster.v1.Worker</c> (proto/cluster/v1).</summary>
public static partial class Worker
{
    /// <summary>The service's full name.</summary>
    public const string ServiceName = "cluster.v1.Worker";

    /// <summary>cluster.v1.Worker/Reserve (Unary).</summary>
    public static readonly Method<ReserveRequest, ReserveResponse> ReserveMethod = new(
        MethodType.Unary, ServiceName, "Reserve", ProtobufMarshaller.For(ReserveRequest.Parser), ProtobufMarshaller.For(ReserveResponse.Parser));

    /// <summary>cluster.v1.Worker/Prefill (Unary).</summary>
    public static readonly Method<PrefillRequest, PrefillResponse> PrefillMethod = new(
        MethodType.Unary, ServiceName, "Prefill", ProtobufMarshaller.For(PrefillRequest.Parser), ProtobufMarshaller.For(PrefillResponse.Parser));

    /// <summary>cluster.v1.Worker/Decode (ServerStreaming).</summary>
    public static readonly Method<DecodeRequest, DecodeResponse> DecodeMethod = new(
        MethodType.ServerStreaming, ServiceName, "Decode", ProtobufMarshaller.For(DecodeRequest.Parser), ProtobufMarshaller.For(DecodeResponse.Parser));

    /// <summary>cluster.v1.Worker/Cancel (Unary).</summary>
    public static readonly Method<CancelRequest, CancelResponse> CancelMethod = new(
        MethodType.Unary, ServiceName, "Cancel", ProtobufMarshaller.For(CancelRequest.Parser), ProtobufMarshaller.For(CancelResponse.Parser));

    /// <summary>cluster.v1.Worker/Status (Unary).</summary>
    public static readonly Method<StatusRequest, WorkerStatus> StatusMethod = new(
        MethodType.Unary, ServiceName, "Status", ProtobufMarshaller.For(StatusRequest.Parser), ProtobufMarshaller.For(WorkerStatus.Parser));

    /// <summary>Binds an implementation's methods for <c>MapRpcService</c>.</summary>
    public static ServerServiceDefinition BindService(WorkerBase service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return ServerServiceDefinition.CreateBuilder()
            .AddMethod(ReserveMethod, service.Reserve)
            .AddMethod(PrefillMethod, service.Prefill)
            .AddMethod(DecodeMethod, service.Decode)
            .AddMethod(CancelMethod, service.Cancel)
            .AddMethod(StatusMethod, service.Status)
            .Build();
    }
}
