using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

public static partial class Inference
{
    /// <summary>Server side of <c>cluster.v1.Inference</c>: override the methods served; the rest answer UNIMPLEMENTED.</summary>
    public abstract class InferenceBase
    {
        public virtual Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(GenerateMethod.FullName);

        public virtual Task<CompleteResponse> Complete(GenerateRequest request, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(CompleteMethod.FullName);

        public virtual Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(ListModelsMethod.FullName);
    }
}
