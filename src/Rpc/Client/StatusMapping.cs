using System.Net;

namespace Cluster.Rpc.Client;

/// <summary>Maps HTTP statuses and transport exceptions to gRPC status codes (gRPC's http-grpc-status-mapping).</summary>
internal static class StatusMapping
{
    public static StatusCode FromHttpStatus(HttpStatusCode code) => (int)code switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    public static Status FromException(Exception exception)
    {
        if (exception is RpcException rpc)
        {
            return rpc.Status;
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException protocol)
            {
                return new Status(FromHttp2ErrorCode(protocol.ErrorCode), "HTTP/2 stream error: " + protocol.Message);
            }
        }

        return exception switch
        {
            HttpRequestException => new Status(StatusCode.Unavailable, "Error connecting to the server: " + exception.Message),
            OperationCanceledException => new Status(StatusCode.Cancelled, "Call was canceled."),
            IOException => new Status(StatusCode.Unavailable, "Error reading the response: " + exception.Message),
            _ => new Status(StatusCode.Internal, $"Error in the call: {exception.GetType().Name}: {exception.Message}"),
        };
    }

    private static StatusCode FromHttp2ErrorCode(long code) => code switch
    {
        0x7 => StatusCode.Unavailable,         // REFUSED_STREAM
        0x8 => StatusCode.Cancelled,           // CANCEL
        0xb => StatusCode.ResourceExhausted,   // ENHANCE_YOUR_CALM
        0xc => StatusCode.PermissionDenied,    // INADEQUATE_SECURITY
        _ => StatusCode.Internal,
    };
}
