using System.IO.Pipelines;
using System.Net.Http.Headers;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client;

/// <summary>
/// One client call on one HTTP/2 stream. Cancellation (the caller's token, the deadline, Dispose) cancels
/// <see cref="_callCts"/>, which makes HttpClient reset the stream; the first status recorded wins.
/// </summary>
internal sealed partial class ClientCall<TRequest, TResponse> : IDisposable
{
    private static readonly MediaTypeHeaderValue GrpcContentType = new(GrpcProtocol.ContentType);

    private readonly RpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _callCts = new();
    private CancellationTokenSource? _deadlineCts;
    private readonly TaskCompletionSource<Metadata> _headersTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private CancellationTokenRegistration _userCancellation;
    private Task<HttpResponseMessage?> _responseTask = Task.FromResult<HttpResponseMessage?>(null);
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private string? _responseEncoding;
    private StreamingRequestContent? _streamingContent;
    private Status? _cancelStatus;
    private Status? _status;
    private Metadata? _trailers;

    public ClientCall(RpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
    }

    public Task<Metadata> ResponseHeadersAsync => _headersTcs.Task;

    internal RpcChannelOptions ChannelOptions => _channel.Options;

    internal Method<TRequest, TResponse> Method => _method;

    internal CancellationToken CallToken => _callCts.Token;

    internal bool IsFinished
    {
        get
        {
            lock (_lock)
            {
                return _status is not null;
            }
        }
    }

    public void StartUnary(TRequest request)
    {
        var frame = new PooledBufferWriter();
        try
        {
            var context = new FrameSerializationContext(frame, compress: false, _channel.Options.MaxSendMessageSize);
            _method.RequestMarshaller.ContextualSerializer(request, context);
            if (!context.IsComplete)
            {
                throw new InvalidOperationException("The request marshaller did not complete the serialization context.");
            }
        }
        catch (RpcException ex)
        {
            frame.Dispose();
            Finish(ex.Status, ex.Trailers);
            return;
        }
        catch
        {
            frame.Dispose();
            throw;
        }

        Start(new UnaryRequestContent(frame));
    }

    public ClientRequestStream<TRequest, TResponse> StartStreaming()
    {
        _streamingContent = new StreamingRequestContent();
        Start(_streamingContent);
        return new ClientRequestStream<TRequest, TResponse>(this, _streamingContent);
    }

    public Status GetStatus()
    {
        lock (_lock)
        {
            return _status ?? throw new InvalidOperationException("Unable to get the status because the call is not complete.");
        }
    }

    public Metadata GetTrailers()
    {
        lock (_lock)
        {
            return _status is null
                ? throw new InvalidOperationException("Unable to get the trailers because the call is not complete.")
                : _trailers ?? Metadata.Empty;
        }
    }

    /// <summary>Cancels the call if it is still running and releases its resources.</summary>
    public void Dispose()
    {
        Cancel(new Status(StatusCode.Cancelled, "Call disposed."));
        _userCancellation.Dispose();
        _deadlineCts?.Dispose();
        _reader?.Complete();
        _response?.Dispose();
    }

    /// <summary>Records why the call is being cancelled (first reason wins) and resets the stream.</summary>
    internal void Cancel(Status status)
    {
        lock (_lock)
        {
            _cancelStatus ??= status;
        }

        Finish(status, null);
        CancelTransport();
    }

    private void Start(HttpContent content)
    {
        content.Headers.ContentType = GrpcContentType;
        if (_options.Deadline is { } deadline)
        {
            var remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
                content.Dispose();
                return;
            }

            if (remaining < TimeSpan.FromDays(40))
            {
                _deadlineCts = new CancellationTokenSource(remaining);
                _deadlineCts.Token.UnsafeRegister(
                    static s => ((ClientCall<TRequest, TResponse>)s!).Cancel(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded")),
                    this);
            }
        }

        if (_options.CancellationToken.CanBeCanceled)
        {
            _userCancellation = _options.CancellationToken.UnsafeRegister(
                static s => ((ClientCall<TRequest, TResponse>)s!).Cancel(new Status(StatusCode.Cancelled, "Call canceled by the client.")),
                this);
        }

        var request = CreateRequest(content);
        _responseTask = SendAsync(request);
    }

    private void CancelTransport()
    {
        try
        {
            _callCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already cleaned up.
        }

        // Disposing an unfinished response makes HttpClient reset the stream (RST_STREAM CANCEL).
        _response?.Dispose();
    }
}
