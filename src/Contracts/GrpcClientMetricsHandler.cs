using System.Net.Http.Metrics;

namespace Cluster.Contracts;

/// <summary>
/// Adds <c>rpc.method</c> (<c>package.Service/Method</c>, from the request path) to the <c>http.client.request.duration</c>
/// measurement System.Net.Http records for each outgoing gRPC call, so the HTTP client meter counts calls per gRPC method
/// (grpc-dotnet's client has EventCounters only, no meter). That measurement ends when the response headers arrive, not
/// when a streamed response ends. Put it around the channel's <see cref="SocketsHttpHandler"/>.
/// </summary>
public sealed class GrpcClientMetricsHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>The tag this handler adds.</summary>
    public const string MethodTag = "rpc.method";

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Enrich(request);
        return base.SendAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Enrich(request);
        return base.Send(request, cancellationToken);
    }

    private static void Enrich(HttpRequestMessage request)
    {
        if (request.RequestUri is { } uri)
        {
            var method = uri.AbsolutePath.TrimStart('/');
            HttpMetricsEnrichmentContext.AddCallback(request, context => context.AddCustomTag(MethodTag, method));
        }
    }
}
