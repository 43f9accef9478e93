using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

public static partial class Worker
{
    /// <summary>Client of <c>cluster.v1.Worker</c>.</summary>
    public sealed class WorkerClient : RpcClientBase
    {
        public WorkerClient(CallInvoker callInvoker)
            : base(callInvoker)
        {
        }

        public WorkerClient(RpcChannel channel)
            : base(channel)
        {
        }

        public AsyncUnaryCall<ReserveResponse> ReserveAsync(ReserveRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(ReserveMethod, null, options, request);

        public AsyncUnaryCall<PrefillResponse> PrefillAsync(PrefillRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(PrefillMethod, null, options, request);

        public AsyncServerStreamingCall<DecodeResponse> Decode(DecodeRequest request, CallOptions options = default) =>
            CallInvoker.AsyncServerStreamingCall(DecodeMethod, null, options, request);

        public AsyncUnaryCall<CancelResponse> CancelAsync(CancelRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(CancelMethod, null, options, request);

        public AsyncUnaryCall<WorkerStatus> StatusAsync(StatusRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(StatusMethod, null, options, request);
    }
}
