using Cluster.Rpc.Server;
using Microsoft.AspNetCore.Http;

namespace Cluster.Rpc;

/// <summary>Helpers for <see cref="ServerCallContext"/> on the Kestrel host (shaped like grpc-dotnet's).</summary>
public static class ServerCallContextExtensions
{
    /// <summary>The HTTP context of a call served by <c>MapRpcService</c>.</summary>
    /// <exception cref="InvalidOperationException">The context does not belong to a call served by Cluster.Rpc.Server.</exception>
    public static HttpContext GetHttpContext(this ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context is IHttpContextCall call
            ? call.HttpContext
            : throw new InvalidOperationException(
                $"{context.GetType().Name} has no HTTP context: GetHttpContext() works only inside handlers of services mapped with MapRpcService.");
    }
}
