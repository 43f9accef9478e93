using Cluster.Contracts;
using Cluster.Rpc;

namespace Grpc.Health.V1;

public static partial class Health
{
    /// <summary>Server side of <c>grpc.health.v1.Health</c>: override the methods served; the rest answer UNIMPLEMENTED.</summary>
    public abstract class HealthBase
    {
        public virtual Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(CheckMethod.FullName);

        public virtual Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context) =>
            throw RpcClientBase.Unimplemented(WatchMethod.FullName);
    }
}
