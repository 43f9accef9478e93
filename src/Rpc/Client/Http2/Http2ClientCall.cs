using System.IO.Pipelines;
using Cluster.Rpc.Internal;

namespace Cluster.Rpc.Client.Http2;

/// <summary>
/// A client-streaming call on the direct HTTP/2 transport (<see cref="RpcClientStreamingTransport.DirectHttp2"/>).
/// Same contract as the HttpClient path's <c>ClientCall</c>: the first status recorded wins (caller's token,
/// deadline, Dispose, stream reset, protocol error, trailers); any cancellation resets the stream (RST_STREAM
/// CANCEL) without ending the request body, so the server never mistakes an abort for a complete stream.
/// </summary>
internal sealed partial class Http2ClientCall<TRequest, TResponse> : IDisposable
{
    private readonly RpcChannel _channel;
    private readonly Http2ConnectionPool _pool;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _callCts = new();
    private readonly TaskCompletionSource<Metadata> _headersTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private CancellationTokenSource? _deadlineCts;
    private CancellationTokenRegistration _userCancellation;
    private Task<Http2Stream?> _streamTask = Task.FromResult<Http2Stream?>(null);
    private Http2Stream? _stream;
    private Status? _cancelStatus;
    private Status? _status;
    private Metadata? _trailers;

    public Http2ClientCall(RpcChannel channel, Http2ConnectionPool pool, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _pool = pool;
        _method = method;
        _options = options;
    }

    public Task<Metadata> ResponseHeadersAsync => _headersTcs.Task;

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

    /// <summary>Arms the deadline and cancellation, then opens the stream in the background.</summary>
    public void Start()
    {
        if (_options.Deadline is { } deadline)
        {
            var remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
                return;
            }

            if (remaining < TimeSpan.FromDays(40))
            {
                _deadlineCts = new CancellationTokenSource(remaining);
                _deadlineCts.Token.UnsafeRegister(
                    static s => ((Http2ClientCall<TRequest, TResponse>)s!).Cancel(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded")),
                    this);
            }
        }

        if (_options.CancellationToken.CanBeCanceled)
        {
            _userCancellation = _options.CancellationToken.UnsafeRegister(
                static s => ((Http2ClientCall<TRequest, TResponse>)s!).Cancel(new Status(StatusCode.Cancelled, "Call canceled by the client.")),
                this);
        }

        _streamTask = OpenAsync();
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
        _body.Reader.Complete();
    }

    /// <summary>Records why the call is being cancelled (first reason wins) and resets the stream.</summary>
    internal void Cancel(Status status)
    {
        lock (_lock)
        {
            _cancelStatus ??= status;
        }

        Finish(status, null);
        try
        {
            _callCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already cleaned up.
        }
    }

    internal RpcException CreateException()
    {
        lock (_lock)
        {
            var status = _status ?? new Status(StatusCode.Internal, "Call has not finished.");
            return new RpcException(status, _trailers ?? new Metadata());
        }
    }

    /// <summary>Records the final status once; fails the header task and resets a stream that is still open.</summary>
    internal void Finish(Status status, Metadata? trailers)
    {
        Http2Stream? stream;
        lock (_lock)
        {
            if (_status is not null)
            {
                return;
            }

            _status = status;
            _trailers = trailers;
            stream = _stream;
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

        _responseReady.TrySetResult(false);
        stream?.Reset(Http2ErrorCode.Cancel); // no-op once both sides have ended it
        _userCancellation.Dispose();
    }

    private async Task<Http2Stream?> OpenAsync()
    {
        try
        {
            var connection = await _pool.GetAsync(_callCts.Token);
            var stream = await connection.OpenStreamAsync(RequestHeaders(), this, _callCts.Token);
            bool finished;
            lock (_lock)
            {
                _stream = stream;
                finished = _status is not null;
            }

            if (finished)
            {
                stream.Reset(Http2ErrorCode.Cancel);
            }

            return stream;
        }
        catch (Exception ex)
        {
            Finish(StatusFromException(ex), null);
            return null;
        }
    }

    private List<(string, string)> RequestHeaders()
    {
        var address = _channel.Address;
        var headers = new List<(string, string)>
        {
            (":method", "POST"),
            (":scheme", address.Scheme),
            (":authority", address.Authority),
            (":path", _method.FullName),
            ("content-type", GrpcProtocol.ContentType),
            ("te", "trailers"),
            ("user-agent", "cluster-rpc/1.0"),
            (GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedAcceptEncoding),
        };
        if (_options.Deadline is { } deadline)
        {
            headers.Add((GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(deadline.ToUniversalTime() - DateTime.UtcNow)));
        }

        foreach (var metadata in new[] { _channel.Options.DefaultHeaders, _options.Headers })
        {
            if (metadata is null)
            {
                continue;
            }

            foreach (var entry in metadata)
            {
                headers.Add((entry.Key, MetadataCodec.ToHeaderValue(entry)));
            }
        }

        return headers;
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
