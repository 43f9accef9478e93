using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Cluster.Hosting.Telemetry;

/// <summary>
/// Adds <c>rpc.grpc.status_code</c> (the call's <c>grpc-status</c>, from the trailers or, for a Trailers-Only response,
/// the headers) to ASP.NET Core's <c>http.server.request.duration</c> measurement of every gRPC call, whose <c>http.route</c>
/// is already the method (<c>/package.Service/Method</c>) and whose <c>http.response.status_code</c> is 200 for every call.
/// grpc-dotnet's server publishes EventCounters only, no meter; this makes the hosting meter its per-method call count,
/// duration and status. Runs before the credential check, so rejected calls (16) are counted too.
/// </summary>
internal sealed class GrpcStatusMetricsTag(RequestDelegate next)
{
    public const string StatusTag = "rpc.grpc.status_code";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true
            || context.Features.Get<IHttpMetricsTagsFeature>() is not { } metrics)
        {
            await next(context);
            return;
        }

        try
        {
            await next(context);
        }
        finally
        {
            var status = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers?["grpc-status"] is { Count: > 0 } trailer
                ? trailer.ToString()
                : context.Response.Headers["grpc-status"].ToString();
            if (status.Length > 0)
            {
                metrics.Tags.Add(new(StatusTag, status));
            }
        }
    }
}
