using System.IO.Pipelines;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Server;

internal sealed partial class HttpServerCall<TRequest, TResponse>
{
    /// <summary>Reads the next request message from the request body pipe.</summary>
    internal async ValueTask<(bool HasMessage, TRequest Message)> ReadRequestAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await MessageReader.ReadAsync(
                _httpContext.Request.BodyReader,
                ParseOrInvalidArgument(_method.RequestMarshaller.ContextualDeserializer),
                Options.MaxReceiveMessageSize,
                _requestEncoding,
                cancellationToken);
        }
        catch (Exception ex) when (ex is not RpcException and not OperationCanceledException)
        {
            AbortFromTransport();
            throw new OperationCanceledException("The client reset the request stream.", ex, CancellationToken);
        }
    }

    /// <summary>
    /// A request message that does not parse (bad wire format, a string that is not UTF-8) is the client's fault:
    /// INVALID_ARGUMENT, not the INTERNAL the shared reader reports for a response that does not parse.
    /// </summary>
    private static Func<DeserializationContext, TRequest> ParseOrInvalidArgument(Func<DeserializationContext, TRequest> deserializer) => context =>
    {
        try
        {
            return deserializer(context);
        }
        catch (Exception ex) when (ex is not RpcException and not OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request message cannot be parsed: {ex.Message}"));
        }
    };

    /// <summary>Reads exactly one request message (unary and server-streaming methods).</summary>
    internal async Task<TRequest> ReadSingleRequestAsync()
    {
        var (hasMessage, message) = await ReadRequestAsync(CancellationToken);
        if (!hasMessage)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Request did not include a message."));
        }

        var (hasAnother, _) = await ReadRequestAsync(CancellationToken);
        if (hasAnother)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Request included more than one message for a single-request method."));
        }

        return message;
    }

    /// <summary>Serializes a response message straight into the response body pipe and flushes it.</summary>
    internal async Task WriteMessageAsync(TResponse message, CancellationToken cancellationToken)
    {
        if (!TryBeginWrite())
        {
            throw new InvalidOperationException("A write is already pending on this response stream; await it before writing again.");
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            CancellationToken.ThrowIfCancellationRequested();
            var response = _httpContext.Response;
            if (!response.HasStarted)
            {
                await response.StartAsync(CancellationToken);
            }

            var writer = response.BodyWriter;
            var context = new FrameSerializationContext(writer, _compressResponses, Options.MaxSendMessageSize);
            _method.ResponseMarshaller.ContextualSerializer(message, context);
            if (!context.IsComplete)
            {
                throw new InvalidOperationException("The response marshaller did not complete the serialization context.");
            }

            FlushResult flush;
            try
            {
                flush = await writer.FlushAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                AbortFromTransport();
                throw new OperationCanceledException("The client reset the response stream.", ex, CancellationToken);
            }

            if (flush.IsCanceled || flush.IsCompleted)
            {
                AbortFromTransport();
                throw new OperationCanceledException("The response stream was closed.", CancellationToken);
            }
        }
        finally
        {
            EndWrite();
        }
    }
}
