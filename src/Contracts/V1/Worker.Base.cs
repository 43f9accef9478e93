using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

public static partial class Worker
{
    /// <summary>Server side of <c>cluster.v1.Worker</c>: override the methods served; the rest answer UNIMPLEMENTED.</summary>
    public abstract class WorkerBase
    {
        public virtual Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(ReserveMethod.FullName);

        public virtual Task<PrefillResponse> Prefill(PrefillRequest request, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(PrefillMethod.FullName);

        public virtual Task Decode(DecodeRequest request, IServerStreamWriter<DecodeResponse> responseStream, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(DecodeMethod.FullName);

        public virtual Task<CancelResponse> Cancel(CancelRequest request, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(CancelMethod.FullName);

        public virtual Task<WorkerStatus> Status(StatusRequest request, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(StatusMethod.FullName);
    }
}
