using System.Runtime.CompilerServices;
using Cluster.Rpc.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cluster.Rpc.Server;

/// <summary>
/// A low-priority <c>POST /{service}/{method}</c> endpoint answering gRPC requests to unknown services or
/// methods with UNIMPLEMENTED (Trailers-Only). Requests without a gRPC content type get 404.
/// </summary>
internal sealed class UnimplementedEndpoints
{
    private readonly ConditionalWeakTable<IEndpointRouteBuilder, object> _mapped = [];

    public void MapOnce(IEndpointRouteBuilder endpoints, ServerRuntime runtime)
    {
        if (_mapped.TryGetValue(endpoints, out _))
        {
            return;
        }

        _mapped.Add(endpoints, new object());
        endpoints.MapPost("{unimplementedService}/{unimplementedMethod}", httpContext => HandleAsync(httpContext, runtime))
            .WithDisplayName("gRPC unimplemented")
            .Add(b => ((RouteEndpointBuilder)b).Order = int.MaxValue - 1);
    }

    private static Task HandleAsync(HttpContext httpContext, ServerRuntime runtime)
    {
        if (!GrpcProtocol.IsGrpcContentType(httpContext.Request.ContentType))
        {
            httpContext.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        ServerLog.Unimplemented(runtime.Logger, httpContext.Request.Path);
        var path = httpContext.Request.Path.Value ?? string.Empty;
        var response = httpContext.Response;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusTrailer] = ((int)StatusCode.Unimplemented).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[GrpcProtocol.MessageTrailer] = PercentEncoding.Encode($"Method {path} is unimplemented.");
        return Task.CompletedTask;
    }
}
