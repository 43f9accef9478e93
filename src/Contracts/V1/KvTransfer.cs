using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

/// <summary>Method descriptors and server binding of <c>cluster.v1.KvTransfer</c> (proto/cluster/v1).</summary>
public static partial class KvTransfer
{
    /// <summary>The service's full name.</summary>
    public const string ServiceName = "cluster.v1.KvTransfer";

    /// <summary>cluster.v1.KvTransfer/Push (ClientStreaming).</summary>
    public static readonly Method<KvFrame, PushResult> PushMethod = new(
        MethodType.ClientStreaming, ServiceName, "Push", ProtobufMarshaller.For(KvFrame.Parser), ProtobufMarshaller.For(PushResult.Parser));

    /// <summary>cluster.v1.KvTransfer/GetTicket (Unary).</summary>
    public static readonly Method<TicketRequest, PushResult> GetTicketMethod = new(
        MethodType.Unary, ServiceName, "GetTicket", ProtobufMarshaller.For(TicketRequest.Parser), ProtobufMarshaller.For(PushResult.Parser));

    /// <summary>Binds an implementation's methods for <c>MapRpcService</c>.</summary>
    public static ServerServiceDefinition BindService(KvTransferBase service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return ServerServiceDefinition.CreateBuilder()
            .AddMethod(PushMethod, service.Push)
            .AddMethod(GetTicketMethod, service.GetTicket)
            .Build();
    }
}
