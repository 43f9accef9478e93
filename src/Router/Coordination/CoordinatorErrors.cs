using System.Globalization;
using Grpc.Core;

namespace Cluster.Router.Coordination;

/// <summary>The RpcExceptions the coordinator throws (IRequestCoordinator's contract), each with a message saying what happened.</summary>
public static class CoordinatorErrors
{
    /// <summary>Trailer telling a gRPC client how long to wait before retrying (gRPC retry design A6).</summary>
    public const string RetryPushbackTrailer = "grpc-retry-pushback-ms";

    public static RpcException InvalidArgument(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public static RpcException NotFound(string message) => new(new Status(StatusCode.NotFound, message));

    public static RpcException Unavailable(string message) => new(new Status(StatusCode.Unavailable, message));

    /// <summary>RESOURCE_EXHAUSTED without a pushback: retrying the same request will not help (it never fits).</summary>
    public static RpcException ResourceExhausted(string message) => new(new Status(StatusCode.ResourceExhausted, message));

    /// <summary>RESOURCE_EXHAUSTED with <see cref="RetryPushbackTrailer"/> = <paramref name="retryAfter"/>.</summary>
    public static RpcException ResourceExhausted(string message, TimeSpan retryAfter) =>
        new(new Status(StatusCode.ResourceExhausted, message), new Metadata
        {
            { RetryPushbackTrailer, ((long)Math.Ceiling(retryAfter.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) },
        });
}
