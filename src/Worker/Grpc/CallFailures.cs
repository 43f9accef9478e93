using Grpc.Core;
using Cluster.Worker.Requests;

namespace Cluster.Worker.Grpc;

/// <summary>Turns what ended a call early into the status the router acts on.</summary>
internal static class CallFailures
{
    public static RpcException Status(StatusCode code, string message) => new(new global::Grpc.Core.Status(code, message));

    /// <summary>
    /// The exception to throw for <paramref name="error"/>: the caller's own cancellation or deadline passes through
    /// (the server reports CANCELLED / DEADLINE_EXCEEDED), a drain timeout is UNAVAILABLE (retry or migrate elsewhere),
    /// a Cancel call is CANCELLED, an engine failure INTERNAL.
    /// </summary>
    public static Exception Map(Exception error, ActiveRequest active, ServerCallContext context)
    {
        if (error is RpcException) return error;
        // The drain first: on shutdown grpc-dotnet may also cancel the call's token, and the caller must see UNAVAILABLE.
        if (active.DrainExpired.IsCancellationRequested)
        {
            return Status(StatusCode.Unavailable, $"The worker shut down before request {active.Id} finished (Worker:DrainTimeout passed); send it to another worker.");
        }

        if (context.CancellationToken.IsCancellationRequested) return error as OperationCanceledException ?? new OperationCanceledException(context.CancellationToken);

        if (error is OperationCanceledException) return Status(StatusCode.Cancelled, $"Request {active.Id} was cancelled (Cancel).");
        return Status(StatusCode.Internal, $"The engine failed on request {active.Id}: {error.Message}");
    }

    /// <summary>Runs an engine submission, mapping its argument checks to INVALID_ARGUMENT and a stopped engine to UNAVAILABLE.</summary>
    public static T Submit<T>(Func<T> submit)
    {
        try
        {
            return submit();
        }
        catch (ArgumentException e)
        {
            throw Status(StatusCode.InvalidArgument, e.Message);
        }
        catch (InvalidOperationException e)
        {
            throw Status(StatusCode.Unavailable, e.Message);
        }
    }
}
