using System.Buffers;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client.Http2;

/// <summary>The request side: each message is serialized once (large fields of a scatter serializer are sent from their own memory) and written as DATA frames; one pending write.</summary>
internal sealed partial class Http2ClientCall<TRequest, TResponse> : IClientStreamWriter<TRequest>
{
    private int _writing;
    private bool _completed;

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            throw new InvalidOperationException("Request stream has already been completed.");
        }

        if (IsFinished)
        {
            throw CreateException();
        }

        if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            throw new InvalidOperationException("A write is already pending on this request stream; await it before writing again.");
        }

        try
        {
            using var frame = new PooledBufferWriter();
            using var scatter = new ScatterPayload();
            ReadOnlySequence<byte> bytes;
            try
            {
                bytes = ScatterSerializers.Find(_method.RequestMarshaller) is { } serializer && serializer(message, scatter)
                    ? scatter.Build(_channel.Options.MaxSendMessageSize)
                    : Serialize(message, frame);
            }
            catch (RpcException ex)
            {
                Cancel(ex.Status);
                throw;
            }

            using var linked = cancellationToken.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _callCts.Token)
                : null;
            var token = linked?.Token ?? _callCts.Token;
            try
            {
                var stream = await _streamTask.WaitAsync(token) ?? throw CreateException();
                await stream.WriteAsync(bytes, endStream: false, token);
            }
            catch (Exception ex)
            {
                if (cancellationToken.IsCancellationRequested && !IsFinished)
                {
                    Cancel(new Status(StatusCode.Cancelled, "Call canceled by the client."));
                }

                // The response side decides the call's final status (the server may have ended the call);
                // this write only reports what it saw unless the call has already finished.
                throw IsFinished ? CreateException() : new RpcException(StatusMapping.FromException(ex));
            }
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    private ReadOnlySequence<byte> Serialize(TRequest message, PooledBufferWriter frame)
    {
        var context = new FrameSerializationContext(frame, compress: false, _channel.Options.MaxSendMessageSize);
        _method.RequestMarshaller.ContextualSerializer(message, context);
        return context.IsComplete
            ? new ReadOnlySequence<byte>(frame.WrittenMemory)
            : throw new InvalidOperationException("The request marshaller did not complete the serialization context.");
    }

    /// <summary>Ends the request stream (an empty DATA frame with END_STREAM); failures surface in the response.</summary>
    public async Task CompleteAsync()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        try
        {
            if (await _streamTask is { } stream && !IsFinished)
            {
                await stream.WriteAsync(ReadOnlyMemory<byte>.Empty, endStream: true, _callCts.Token);
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or InvalidOperationException)
        {
            // The call has ended (or is ending): its status is in the response.
        }
    }
}
