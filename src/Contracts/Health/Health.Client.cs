using Cluster.Contracts;
using Cluster.Rpc;

namespace Grpc.Health.V1;

public static partial class Health
{
    /// <summary>Client of <c>grpc.health.v1.Health</c>.</summary>
    public sealed class HealthClient : RpcClientBase
    {
        public HealthClient(CallInvoker callInvoker)
            : base(callInvoker)
        {
        }

        public HealthClient(RpcChannel channel)
            : base(channel)
        {
        }

        public AsyncUnaryCall<HealthCheckResponse> CheckAsync(HealthCheckRequest request, CallOptions options = default) =>
            CallInvoker.AsyncUnaryCall(CheckMethod, null, options, request);

        public AsyncServerStreamingCall<HealthCheckResponse> Watch(HealthCheckRequest request, CallOptions options = default) =>
            CallInvoker.AsyncServerStreamingCall(WatchMethod, null, options, request);
    }
}
