using Grpc.Core;

namespace Cluster.Contracts.V1;

public static partial class Inference
{
    /// <summary>The service's full name.</summary>
    public const string ServiceName = "cluster.v1.Inference";

    /// <summary>
    /// Binds the service with requests checked for invalid UTF-8 (INVALID_ARGUMENT naming the field,
    /// <see cref="Utf8FieldCheck"/>) and unparsable requests answered INVALID_ARGUMENT. Call it from the
    /// implementation's own <c>[BindServiceMethod]</c> method: grpc-dotnet finds the handlers by name, as virtual methods
    /// declared on the type that carries the attribute (so that type must not derive from <see cref="InferenceBase"/>).
    /// </summary>
    public static void BindServiceUtf8Checked(ServiceBinderBase binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        var generate = ProtobufMarshaller.ForUtf8Checked(GenerateRequest.Parser, GenerateRequest.Descriptor);
        binder.AddMethod(
            new Method<GenerateRequest, GenerateResponse>(MethodType.ServerStreaming, ServiceName, "Generate", generate, ProtobufMarshaller.For(GenerateResponse.Parser)),
            (ServerStreamingServerMethod<GenerateRequest, GenerateResponse>?)null);
        binder.AddMethod(
            new Method<GenerateRequest, CompleteResponse>(MethodType.Unary, ServiceName, "Complete", generate, ProtobufMarshaller.For(CompleteResponse.Parser)),
            (UnaryServerMethod<GenerateRequest, CompleteResponse>?)null);
        binder.AddMethod(
            new Method<ListModelsRequest, ListModelsResponse>(MethodType.Unary, ServiceName, "ListModels", ProtobufMarshaller.For(ListModelsRequest.Parser), ProtobufMarshaller.For(ListModelsResponse.Parser)),
            (UnaryServerMethod<ListModelsRequest, ListModelsResponse>?)null);
        binder.AddMethod(
            new Method<CancelGenerationRequest, CancelGenerationResponse>(MethodType.Unary, ServiceName, "Cancel",
                ProtobufMarshaller.ForUtf8Checked(CancelGenerationRequest.Parser, CancelGenerationRequest.Descriptor), ProtobufMarshaller.For(CancelGenerationResponse.Parser)),
            (UnaryServerMethod<CancelGenerationRequest, CancelGenerationResponse>?)null);
    }
}
