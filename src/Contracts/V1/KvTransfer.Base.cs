using Cluster.Contracts;
using Cluster.Rpc;

namespace Cluster.Contracts.V1;

public static partial class KvTransfer
{
    /// <summary>Server side of <c>cluster.v1.KvTransfer</c>: override the methods served; the rest answer UNIMPLEMENTED.</summary>
    public abstract class KvTransferBase
    {
        public virtual Task<PushResult> Push(IAsyncStreamReader<KvFrame> requestStream, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(PushMethod.FullName);

        public virtual Task<PushResult> GetTicket(TicketRequest request, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(GetTicketMethod.FullName);
    }
}
