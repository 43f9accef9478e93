using System.Globalization;
using Grpc.Core;

namespace Cluster.Router.Api;

/// <summary>Turns the coordinator's <see cref="RpcException"/>s into <see cref="ApiException"/>s both APIs understand.</summary>
internal static class CoordinatorFailures
{
    public const string PushbackTrailer = "grpc-retry-pushback-ms";

    public static ApiException ToApi(RpcException e)
    {
        var message = string.IsNullOrEmpty(e.Status.Detail) ? e.Message : e.Status.Detail;
        return e.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.OutOfRange => new ApiException(ApiErrorKind.InvalidArgument, message),
            StatusCode.ResourceExhausted => new ApiException(ApiErrorKind.ResourceExhausted, message, retryAfter: Pushback(e)),
            StatusCode.NotFound or StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.Cancelled =>
                new ApiException(ApiErrorKind.Unavailable, message),
            _ => new ApiException(ApiErrorKind.Internal, $"the cluster failed the request ({e.StatusCode}): {message}"),
        };
    }

    // A negative pushback ("do not retry") is kept: gRPC passes it through, HTTP then sends no Retry-After.
    private static TimeSpan? Pushback(RpcException e) =>
        e.Trailers.GetValue(PushbackTrailer) is { } ms
        && long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? TimeSpan.FromMilliseconds(value)
            : null;
}
