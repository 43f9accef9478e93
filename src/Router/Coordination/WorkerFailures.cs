using Grpc.Core;

namespace Cluster.Router.Coordination;

/// <summary>How the coordinator reads a worker's error status (ARCHITECTURE §7).</summary>
public static class WorkerFailures
{
    /// <summary>
    /// A Prefill error meaning "the prompt was computed but its KV did not reach the decode worker": the statuses of a
    /// failed KV push (ABORTED, DATA_LOSS, FAILED_PRECONDITION, NOT_FOUND for a lost ticket). The coordinator then
    /// cancels the reservation and has the decode worker recompute the prompt itself. Any other Prefill error counts
    /// as the prefill worker failing: another prefill worker is tried.
    /// </summary>
    public static bool IsTransferFailure(StatusCode code) =>
        code is StatusCode.Aborted or StatusCode.DataLoss or StatusCode.FailedPrecondition or StatusCode.NotFound;

    /// <summary>
    /// A Decode stream error meaning the worker (or the connection to it) is lost, when the router did not cause it:
    /// the request migrates. Anything else (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, ...) is the request's own error.
    /// </summary>
    public static bool IsWorkerLoss(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Cancelled or StatusCode.Unknown
            or StatusCode.Aborted or StatusCode.DataLoss or StatusCode.DeadlineExceeded;

    /// <summary>
    /// The call never reached the worker: the connection was refused or could not be set up (Grpc.Net.Client reports
    /// UNAVAILABLE with the <see cref="HttpRequestException"/> of a connection error as the status's debug exception).
    /// The worker is then suspect for every request (WorkerPool.Suspect).
    /// </summary>
    public static bool IsConnectFailure(RpcException e)
    {
        if (e is not { StatusCode: StatusCode.Unavailable }) return false;
        for (var cause = e.Status.DebugException; cause is not null; cause = cause.InnerException)
        {
            if (cause is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }
                || cause is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }
}
