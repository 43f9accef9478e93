using System.Globalization;
using Grpc.Core;

namespace Cluster.Router.Api.Grpc;

/// <summary>Maps <see cref="ApiException"/> to gRPC statuses; overload keeps the <c>grpc-retry-pushback-ms</c> trailer.</summary>
internal static class GrpcErrors
{
    public static RpcException ToRpc(ApiException e)
    {
        var code = e.Kind switch
        {
            ApiErrorKind.InvalidArgument => StatusCode.InvalidArgument,
            ApiErrorKind.NotFound or ApiErrorKind.RequestNotFound => StatusCode.NotFound,
            ApiErrorKind.Cancelled => StatusCode.Cancelled,
            ApiErrorKind.ResourceExhausted or ApiErrorKind.TooLarge => StatusCode.ResourceExhausted,
            ApiErrorKind.Unavailable => StatusCode.Unavailable,
            ApiErrorKind.UnknownPath or ApiErrorKind.MethodNotAllowed => StatusCode.Unimplemented,
            ApiErrorKind.Conflict => StatusCode.AlreadyExists,
            _ => StatusCode.Internal,
        };
        var trailers = new Metadata();
        if (e.RetryAfter is { } wait)
        {
            trailers.Add(CoordinatorFailures.PushbackTrailer, ((long)wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        }

        return new RpcException(new Status(code, e.Message), trailers, e.Message);
    }
}
