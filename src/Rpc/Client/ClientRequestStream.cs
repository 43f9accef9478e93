using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client;

/// <summary>The caller's request stream: one pending write at a time, each message flushed as written.</summary>
internal sealed class ClientRequestStream<TRequest, TResponse>(ClientCall<TRequest, TResponse> call, StreamingRequestContent content)
    : IClientStreamWriter<TRequest>
{
    private int _writing;
    private bool _completed;

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            throw new InvalidOperationException("Request stream has already been completed.");
        }

        if (call.IsFinished)
        {
            throw call.CreateException();
        }

        if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            throw new InvalidOperationException("A write is already pending on this request stream; await it before writing again.");
        }

        try
        {
            using var frame = new PooledBufferWriter();
            var context = new FrameSerializationContext(frame, compress: false, call.ChannelOptions.MaxSendMessageSize);
            try
            {
                call.Method.RequestMarshaller.ContextualSerializer(message, context);
            }
            catch (RpcException ex)
            {
                call.Cancel(ex.Status);
                throw;
            }

            if (!context.IsComplete)
            {
                throw new InvalidOperationException("The request marshaller did not complete the serialization context.");
            }

            using var linked = cancellationToken.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.CallToken)
                : null;
            var token = linked?.Token ?? call.CallToken;
            try
            {
                var stream = await content.StreamAsync.WaitAsync(token);
                await stream.WriteAsync(frame.WrittenMemory, token);
                await stream.FlushAsync(token);
            }
            catch (Exception ex) when (ex is not RpcException)
            {
                if (cancellationToken.IsCancellationRequested && !call.IsFinished)
                {
                    call.Cancel(new Status(StatusCode.Cancelled, "Call canceled by the client."));
                }

                // The response side decides the call's final status (the server may have ended the call);
                // this write only reports what it saw unless the call has already finished.
                throw call.IsFinished ? call.CreateException() : new RpcException(StatusMapping.FromException(ex));
            }
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    public Task CompleteAsync()
    {
        _completed = true;
        content.Complete();
        return Task.CompletedTask;
    }
}
