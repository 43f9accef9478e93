using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

public static partial class Inference
{
    /// <summary>Client of <c>cluster.v1.Inference</c>.</summary>
    public sealed class InferenceClient : RpcClientBase
    {
        public InferenceClient(CallInvoker callInvoker)
            : base(callInvoker)
        {
        }

        public InferenceClient(RpcChannel channel)
            : base(channel)
        {
        }

        public AsyncServerStreamingCall<GenerateResponse> Generate(GenerateRequest request, CallOptions options = default) =>
            CallInvoker.AsyncServerStreamingCall(GenerateMethod, null, options, request);

        public AsyncUnaryCall<CompleteResponse> CompleteAsync(GenerateRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(CompleteMethod, null, options, request);

        public AsyncUnaryCall<ListModelsResponse> ListModelsAsync(ListModelsRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(ListModelsMethod, null, options, request);
    }
}
