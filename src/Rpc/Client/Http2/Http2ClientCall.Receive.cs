using System.Buffers;
using System.IO.Pipelines;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client.Http2;

/// <summary>The response side: frames from the connection's read loop land in a pipe the response reader parses.</summary>
internal sealed partial class Http2ClientCall<TRequest, TResponse> : IHttp2StreamHandler
{
    // Response messages are parsed from this pipe; it never blocks the read loop, so its size is bounded here instead.
    private readonly Pipe _body = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly TaskCompletionSource<bool> _responseReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _headersSeen;
    private bool _bodyEnded;
    private long _bodyBytes;
    private string? _responseEncoding;
    private List<(string Name, string Value)>? _trailerFields;

    void IHttp2StreamHandler.OnHeaders(List<(string Name, string Value)> fields, bool endStream)
    {
        if (_headersSeen)
        {
            if (!endStream)
            {
                Fail(new Status(StatusCode.Internal, "The server sent a second header block without END_STREAM."));
                return;
            }

            _trailerFields = fields;
            EndBody();
            return;
        }

        _headersSeen = true;
        var metadata = ToMetadata(fields);
        if (Find(fields, GrpcProtocol.StatusTrailer) is { } code)
        {
            // Trailers-Only (or an HTTP error that carries a gRPC status): the status is in the headers.
            _headersTcs.TrySetResult(metadata);
            Finish(Http2ResponseValidation.ParseStatus(code, Find(fields, GrpcProtocol.MessageTrailer)), metadata);
            EndBody();
            return;
        }

        if (Http2ResponseValidation.Validate(fields, out _responseEncoding) is { } invalid)
        {
            Fail(invalid);
            return;
        }

        _headersTcs.TrySetResult(metadata);
        _responseReady.TrySetResult(true);
        if (endStream)
        {
            EndBody();
        }
    }

    void IHttp2StreamHandler.OnData(ReadOnlySpan<byte> data, bool endStream)
    {
        lock (_lock)
        {
            if (_bodyEnded)
            {
                return;
            }

            _bodyBytes += data.Length;
            if (_bodyBytes <= MaxBufferedBody)
            {
                _body.Writer.Write(data);
                var flush = _body.Writer.FlushAsync();
                _ = flush.IsCompleted ? default : flush.AsTask(); // never pauses (pauseWriterThreshold 0)
            }
        }

        if (_bodyBytes > MaxBufferedBody)
        {
            Fail(new Status(StatusCode.ResourceExhausted, $"Received response body exceeds the maximum configured message size ({_channel.Options.MaxReceiveMessageSize} bytes)."));
            return;
        }

        if (endStream)
        {
            EndBody();
        }
    }

    void IHttp2StreamHandler.OnAborted(Status status)
    {
        lock (_lock)
        {
            if (_trailerFields is not null)
            {
                return; // the response is complete; a reset after the trailers changes nothing
            }
        }

        Finish(status, null);
        EndBody();
    }

    // A single response message plus its frame header, with room for a server that splits it oddly.
    private long MaxBufferedBody => (_channel.Options.MaxReceiveMessageSize ?? 64L * 1024 * 1024) + 64 * 1024;

    /// <summary>Reads the next response message; at the end reads the trailers and throws on a non-OK status.</summary>
    internal async Task<(bool HasMessage, TResponse Message)> ReadMessageAsync()
    {
        if (!await _responseReady.Task)
        {
            return FinishedOrThrow();
        }

        (bool HasMessage, TResponse Message) result;
        try
        {
            result = await MessageReader.ReadAsync(
                _body.Reader, _method.ResponseMarshaller.ContextualDeserializer, _channel.Options.MaxReceiveMessageSize, _responseEncoding, _callCts.Token);
        }
        catch (Exception ex)
        {
            Fail(StatusFromException(ex));
            return FinishedOrThrow();
        }

        if (result.HasMessage)
        {
            return result;
        }

        List<(string Name, string Value)>? fields;
        lock (_lock)
        {
            fields = _trailerFields;
        }

        var status = fields is not null && Find(fields, GrpcProtocol.StatusTrailer) is { } code
            ? Http2ResponseValidation.ParseStatus(code, Find(fields, GrpcProtocol.MessageTrailer))
            : new Status(StatusCode.Unknown, "No grpc-status found on response.");
        Finish(status, fields is null ? null : ToMetadata(fields));
        _deadlineCts?.Dispose();
        return FinishedOrThrow();
    }

    /// <summary>The single response of a client-streaming call.</summary>
    internal async Task<TResponse> GetSingleResponseAsync()
    {
        var (hasMessage, message) = await ReadMessageAsync();
        if (!hasMessage)
        {
            throw Fail(new Status(StatusCode.Internal, "Failed to deserialize response message: the server sent none."));
        }

        var (hasAnother, _) = await ReadMessageAsync();
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
        EndBody();
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

    private void EndBody()
    {
        lock (_lock)
        {
            if (_bodyEnded)
            {
                return;
            }

            _bodyEnded = true;
            _body.Writer.Complete();
        }
    }

    private static string? Find(List<(string Name, string Value)> fields, string name)
    {
        string? found = null;
        foreach (var (key, value) in fields)
        {
            if (key == name)
            {
                found = found is null ? value : found + "," + value;
            }
        }

        return found;
    }

    private static Metadata ToMetadata(List<(string Name, string Value)> fields)
    {
        var metadata = new Metadata();
        foreach (var (name, value) in fields)
        {
            MetadataCodec.AddHeader(metadata, name, [value]);
        }

        return metadata;
    }
}
