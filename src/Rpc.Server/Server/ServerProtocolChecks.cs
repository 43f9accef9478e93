using Cluster.Rpc.Internal;
using Microsoft.AspNetCore.Http;

namespace Cluster.Rpc.Server;

/// <summary>Checks made before a call starts: content type (else 415) and HTTP/2 (else 426).</summary>
internal static class ServerProtocolChecks
{
    public static bool Accept(HttpContext httpContext)
    {
        if (!GrpcProtocol.IsGrpcContentType(httpContext.Request.ContentType))
        {
            httpContext.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            httpContext.Response.Headers.Accept = GrpcProtocol.ContentType;
            return false;
        }

        if (!HttpProtocol.IsHttp2(httpContext.Request.Protocol) && !HttpProtocol.IsHttp3(httpContext.Request.Protocol))
        {
            httpContext.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            httpContext.Response.Headers.Upgrade = "h2c";
            return false;
        }

        return true;
    }
}
