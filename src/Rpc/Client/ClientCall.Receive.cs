using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client;

internal sealed partial class ClientCall<TRequest, TResponse>
{
    /// <summary>Reads the next response message; at the end reads the trailers and throws on a non-OK status.</summary>
    internal async Task<(bool HasMessage, TResponse Message)> ReadMessageAsync(CancellationToken cancellationToken)
    {
        // Registered before waiting for the response headers: a duplex server may send none for a while.
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((ClientCall<TRequest, TResponse>)s!).Cancel(new Status(StatusCode.Cancelled, "Call canceled by the client.")), this)
            : default;
        var response = await _responseTask;
        if (response is null || _reader is null)
        {
            return FinishedOrThrow();
        }

        (bool HasMessage, TResponse Message) result;
        try
        {
            result = await MessageReader.ReadAsync(
                _reader,
                _method.ResponseMarshaller.ContextualDeserializer,
                _channel.Options.MaxReceiveMessageSize,
                _responseEncoding,
                _callCts.Token);
        }
        catch (Exception ex)
        {
            Finish(StatusFromException(ex), null);
            CancelTransport();
            return FinishedOrThrow();
        }

        if (result.HasMessage)
        {
            return result;
        }

        var trailers = ReadMetadata(response.TrailingHeaders);
        var status = response.TrailingHeaders.TryGetValues(GrpcProtocol.StatusTrailer, out var codes)
            ? ParseStatus(codes.FirstOrDefault(), GetSingle(response.TrailingHeaders, GrpcProtocol.MessageTrailer))
            : new Status(StatusCode.Unknown, "No grpc-status found on response.");
        Finish(status, trailers);
        _deadlineCts?.Dispose();
        return FinishedOrThrow();
    }

    /// <summary>The single response of unary and client-streaming calls.</summary>
    internal async Task<TResponse> GetSingleResponseAsync()
    {
        var (hasMessage, message) = await ReadMessageAsync(CancellationToken.None);
        if (!hasMessage)
        {
            throw Fail(new Status(StatusCode.Internal, "Failed to deserialize response message: the server sent none."));
        }

        var (hasAnother, _) = await ReadMessageAsync(CancellationToken.None);
        if (hasAnother)
        {
            throw Fail(new Status(StatusCode.Internal, "The server sent more than one response message for a single-response method."));
        }

        return message;
    }

    private RpcException Fail(Status status)
    {
        lock (_lock)
        {
            if (_status?.Code == StatusCode.OK)
            {
                _status = status;
            }
        }

        Cancel(status);
        return CreateException();
    }

    private (bool, TResponse) FinishedOrThrow()
    {
        lock (_lock)
        {
            if (_status is { Code: StatusCode.OK })
            {
                return (false, default!);
            }
        }

        throw CreateException();
    }

    internal RpcException CreateException()
    {
        lock (_lock)
        {
            var status = _status ?? new Status(StatusCode.Internal, "Call has not finished.");
            return new RpcException(status, _trailers ?? new Metadata());
        }
    }

    /// <summary>Records the final status once; completes the header task and the request stream.</summary>
    internal void Finish(Status status, Metadata? trailers)
    {
        lock (_lock)
        {
            if (_status is not null)
            {
                return;
            }

            _status = status;
            _trailers = trailers;
        }

        if (status.Code == StatusCode.OK)
        {
            _headersTcs.TrySetResult(trailers ?? new Metadata());
        }
        else
        {
            _headersTcs.TrySetException(new RpcException(status, trailers ?? new Metadata()));
            _ = _headersTcs.Task.Exception;
        }

        _streamingContent?.Abort();
        _userCancellation.Dispose();
    }

    private Status StatusFromException(Exception exception)
    {
        lock (_lock)
        {
            if (_cancelStatus is { } cancelled)
            {
                return cancelled;
            }
        }

        return StatusMapping.FromException(exception);
    }
}
