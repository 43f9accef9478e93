using Microsoft.AspNetCore.Http;

namespace Cluster.Rpc;

/// <summary>Helpers for <see cref="ServerCallContext"/> (shaped like grpc-dotnet's).</summary>
public static class ServerCallContextExtensions
{
    /// <summary>The HTTP context of the call.</summary>
    public static HttpContext GetHttpContext(this ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.HttpContext;
    }
}
