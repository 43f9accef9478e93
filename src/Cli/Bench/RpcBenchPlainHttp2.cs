using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Cluster.Cli.Bench;

/// <summary>
/// The HTTP/2 stack's own ceiling: the same chunks through HttpClient and Kestrel with no gRPC framing,
/// marshalling or call machinery (a POST body drained on the server, a response body drained on the client).
/// </summary>
internal static class RpcBenchPlainHttp2
{
    public const string UploadPath = "/bench.plain/upload";
    public const string DownloadPath = "/bench.plain/download";

    public static void Map(IEndpointRouteBuilder endpoints, byte[] payload)
    {
        endpoints.MapPost(UploadPath, async context =>
        {
            context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
            long bytes = 0;
            var reader = context.Request.BodyReader;
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                bytes += result.Buffer.Length;
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            await context.Response.WriteAsync(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), context.RequestAborted);
        });
        endpoints.MapPost(DownloadPath, async context =>
        {
            var count = long.Parse(context.Request.Query["bytes"]!, System.Globalization.CultureInfo.InvariantCulture) / payload.Length;
            for (var i = 0; i < count; i++)
            {
                await context.Response.Body.WriteAsync(payload, context.RequestAborted);
            }
        });
    }

    public static async Task<long> UploadAsync(HttpClient client, Uri server, long bytes, byte[] chunk, CancellationToken cancellationToken)
    {
        using var request = NewRequest(new Uri(server, UploadPath), new ChunkContent(chunk, bytes / chunk.Length));
        using var response = await client.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return long.Parse(await response.Content.ReadAsStringAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<long> DownloadAsync(HttpClient client, Uri server, long bytes, int bufferSize, CancellationToken cancellationToken)
    {
        using var request = NewRequest(new Uri(server, DownloadPath + "?bytes=" + bytes), new ByteArrayContent([]));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[bufferSize];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>The HTTP/2 stream window the bench's clients ask for: 1 MiB.</summary>
    public const int StreamWindow = 1 << 20;

    public static HttpClient CreateClient(int streamWindowSize) => new(new SocketsHttpHandler
    {
        InitialHttp2StreamWindowSize = streamWindowSize,
        EnableMultipleHttp2Connections = true,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static HttpRequestMessage NewRequest(Uri uri, HttpContent content) => new(HttpMethod.Post, uri)
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Content = content,
    };

    /// <summary>A body of <c>count</c> chunks, each written and flushed like one gRPC message.</summary>
    private sealed class ChunkContent(byte[] chunk, long count) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (long i = 0; i < count; i++)
            {
                await stream.WriteAsync(chunk, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
