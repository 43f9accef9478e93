using Cluster.Rpc.Internal;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Cluster.Rpc.Server;

internal sealed partial class HttpServerCall<TRequest, TResponse>
{
    /// <summary>Turns a handler's exception into the call's status (and trailers for RpcException).</summary>
    internal void SetStatusFromException(Exception exception)
    {
        var aborted = TransportAborted || _callCts.IsCancellationRequested;
        switch (exception)
        {
            case RpcException rpc:
                Status = rpc.Status;
                foreach (var entry in rpc.Trailers)
                {
                    _responseTrailers.Add(entry);
                }

                break;
            case OperationCanceledException or IOException or ConnectionAbortedException when DeadlineExpired || aborted:
                Status = new Status(DeadlineExpired ? StatusCode.DeadlineExceeded : StatusCode.Cancelled, DeadlineExpired ? "Deadline Exceeded" : "Call canceled by the client.");
                break;
            default:
                ServerLog.HandlerFailed(_runtime.Logger, Method, exception);
                var detail = Options.EnableDetailedErrors
                    ? $"Exception was thrown by handler. {exception.GetType().Name}: {exception.Message}"
                    : "Exception was thrown by handler.";
                Status = new Status(StatusCode.Unknown, detail);
                break;
        }
    }

    /// <summary>Writes status and trailers: as trailers, or Trailers-Only headers when nothing was sent yet.</summary>
    internal void WriteStatus()
    {
        if (DeadlineExpired && Status.Code == StatusCode.OK)
        {
            Status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }

        if (TransportAborted)
        {
            ServerLog.CallAborted(_runtime.Logger, Method, Status.Code);
            return;
        }

        var response = _httpContext.Response;
        if (!response.HasStarted)
        {
            var headers = response.Headers;
            headers[GrpcProtocol.StatusTrailer] = ((int)Status.Code).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!string.IsNullOrEmpty(Status.Detail))
            {
                headers[GrpcProtocol.MessageTrailer] = PercentEncoding.Encode(Status.Detail);
            }

            foreach (var entry in _responseTrailers)
            {
                headers.Append(entry.Key, MetadataCodec.ToHeaderValue(entry));
            }

            return;
        }

        var trailers = TrailersFeature?.Trailers
            ?? throw new InvalidOperationException("The server does not support response trailers; gRPC needs HTTP/2.");
        trailers[GrpcProtocol.StatusTrailer] = ((int)Status.Code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(Status.Detail))
        {
            trailers[GrpcProtocol.MessageTrailer] = PercentEncoding.Encode(Status.Detail);
        }

        foreach (var entry in _responseTrailers)
        {
            trailers.Append(entry.Key, MetadataCodec.ToHeaderValue(entry));
        }
    }
}
