using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

public static partial class KvTransfer
{
    /// <summary>Client of <c>cluster.v1.KvTransfer</c>.</summary>
    public sealed class KvTransferClient : RpcClientBase
    {
        public KvTransferClient(CallInvoker callInvoker)
            : base(callInvoker)
        {
        }

        public KvTransferClient(RpcChannel channel)
            : base(channel)
        {
        }

        public AsyncClientStreamingCall<KvFrame, PushResult> Push(CallOptions options = default) =>
            CallInvoker.AsyncClientStreamingCall(PushMethod, null, options);

        public AsyncUnaryCall<PushResult> GetTicketAsync(TicketRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(GetTicketMethod, null, options, request);
    }
}
