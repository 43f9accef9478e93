using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

/// <summary>Method descriptors and server binding of <c>cluster.v1.Inference</c> (proto/cluster/v1).</summary>
public static partial class Inference
{
    /// <summary>The service's full name.</summary>
    public const string ServiceName = "cluster.v1.Inference";

    /// <summary>cluster.v1.Inference/Generate (ServerStreaming).</summary>
    public static readonly Method<GenerateRequest, GenerateResponse> GenerateMethod = new(
        MethodType.ServerStreaming, ServiceName, "Generate", ProtobufMarshaller.ForUtf8Checked(GenerateRequest.Parser, GenerateRequest.Descriptor), ProtobufMarshaller.For(GenerateResponse.Parser));

    /// <summary>cluster.v1.Inference/Complete (Unary).</summary>
    public static readonly Method<GenerateRequest, CompleteResponse> CompleteMethod = new(
        MethodType.Unary, ServiceName, "Complete", ProtobufMarshaller.ForUtf8Checked(GenerateRequest.Parser, GenerateRequest.Descriptor), ProtobufMarshaller.For(CompleteResponse.Parser));

    /// <summary>cluster.v1.Inference/ListModels (Unary).</summary>
    public static readonly Method<ListModelsRequest, ListModelsResponse> ListModelsMethod = new(
        MethodType.Unary, ServiceName, "ListModels", ProtobufMarshaller.For(ListModelsRequest.Parser), ProtobufMarshaller.For(ListModelsResponse.Parser));

    /// <summary>Binds an implementation's methods for <c>MapRpcService</c>.</summary>
    public static ServerServiceDefinition BindService(InferenceBase service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return ServerServiceDefinition.CreateBuilder()
            .AddMethod(GenerateMethod, service.Generate)
            .AddMethod(CompleteMethod, service.Complete)
            .AddMethod(ListModelsMethod, service.ListModels)
            .Build();
    }
}
