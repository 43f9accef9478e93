using System.Net.Sockets;
using Cluster.Rpc.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Cluster.Rpc.Server;

/// <summary>One server call on one HTTP/2 stream: the handler's context, its streams and its status.</summary>
internal sealed partial class HttpServerCall<TRequest, TResponse> : ServerCallContext, IHttpContextCall, IDisposable
{
    private static readonly TimeSpan MaxTimerTimeout = TimeSpan.FromDays(40);

    private readonly HttpContext _httpContext;
    private readonly Method<TRequest, TResponse> _method;
    private readonly ServerRuntime _runtime;
    private readonly Metadata _responseTrailers = [];
    private readonly CancellationTokenSource _callCts;
    private CancellationTokenSource? _deadlineCts;
    private volatile bool _transportAborted;
    private Metadata? _requestHeaders;
    private DateTime _deadline = DateTime.MaxValue;
    private string? _requestEncoding;
    private bool _compressResponses;
    private int _writing;

    public HttpServerCall(HttpContext httpContext, Method<TRequest, TResponse> method, ServerRuntime runtime)
    {
        _httpContext = httpContext;
        _method = method;
        _runtime = runtime;
        _callCts = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted);
        RequestStream = new ServerRequestStream<TRequest, TResponse>(this);
        ResponseStream = new ServerResponseStream<TRequest, TResponse>(this);
    }

    public override string Method => _method.FullName;

    public override string Host => _httpContext.Request.Host.Value ?? string.Empty;

    public override string Peer => FormatPeer(_httpContext.Connection);

    public override DateTime Deadline => _deadline;

    public override Metadata RequestHeaders => _requestHeaders ??= ReadRequestHeaders();

    public override CancellationToken CancellationToken => _callCts.Token;

    public override Metadata ResponseTrailers => _responseTrailers;

    public override Status Status { get; set; } = Status.DefaultSuccess;

    public HttpContext HttpContext => _httpContext;

    public IAsyncStreamReader<TRequest> RequestStream { get; }

    public IServerStreamWriter<TResponse> ResponseStream { get; }

    internal RpcServerOptions Options => _runtime.Options;

    internal string? RequestEncoding => _requestEncoding;

    internal bool DeadlineExpired => _deadlineCts?.IsCancellationRequested == true;

    /// <summary>The client reset the stream or the connection dropped: nothing more can be sent.</summary>
    internal bool TransportAborted => _transportAborted || _httpContext.RequestAborted.IsCancellationRequested;

    /// <summary>Reads deadline and encoding headers and prepares response headers; throws RpcException on bad input.</summary>
    public void Start()
    {
        // A stream carries any number of messages, each checked against MaxReceiveMessageSize, and may idle:
        // Kestrel's whole-body size limit and minimum data rate do not apply to gRPC calls.
        if (_httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        if (_httpContext.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRate)
        {
            minRate.MinDataRate = null;
        }

        var response = _httpContext.Response;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedAcceptEncoding;
        var request = _httpContext.Request;

        var encoding = request.Headers[GrpcProtocol.EncodingHeader].ToString();
        if (encoding.Length > 0 && encoding != GrpcProtocol.Identity && encoding != GrpcProtocol.Gzip)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: identity, gzip"));
        }

        _requestEncoding = encoding.Length > 0 ? encoding : null;
        if (Options.ResponseCompression && GrpcProtocol.AcceptsGzip(request.Headers[GrpcProtocol.AcceptEncodingHeader].ToString()))
        {
            _compressResponses = true;
            response.Headers[GrpcProtocol.EncodingHeader] = GrpcProtocol.Gzip;
        }

        var timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader].ToString();
        if (timeoutHeader.Length > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader, out var timeout))
            {
                throw new RpcException(new Status(StatusCode.Internal, $"Malformed grpc-timeout header '{timeoutHeader}'."));
            }

            StartDeadline(timeout);
        }
    }

    public override async Task WriteResponseHeadersAsync(Metadata responseHeaders)
    {
        ArgumentNullException.ThrowIfNull(responseHeaders);
        var response = _httpContext.Response;
        if (response.HasStarted)
        {
            throw new InvalidOperationException("Response headers can only be sent once per call.");
        }

        foreach (var entry in responseHeaders)
        {
            response.Headers.Append(entry.Key, MetadataCodec.ToHeaderValue(entry));
        }

        await response.StartAsync(CancellationToken);
        await response.BodyWriter.FlushAsync(CancellationToken);
    }

    public void Dispose()
    {
        _deadlineCts?.Dispose();   // first: no deadline callback starts after this
        _callCts.Dispose();
    }

    /// <summary>
    /// A read or write failed because the stream is gone. Kestrel cancels RequestAborted asynchronously, so the
    /// handler's token is cancelled here first: the handler sees the token fired before it sees the failure.
    /// </summary>
    internal void AbortFromTransport()
    {
        _transportAborted = true;
        CancelCall(_callCts);
    }

    /// <summary>
    /// Cancels the handler's token unless the call is already over. The deadline timer may fire while the call ends
    /// (client and server deadlines expire together): a callback already running when Dispose disposes the token
    /// source must not throw, for an exception on the timer thread ends the process.
    /// </summary>
    internal static void CancelCall(object? callCts)
    {
        try
        {
            ((CancellationTokenSource)callCts!).Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call is over.
        }
    }

    private void StartDeadline(TimeSpan timeout)
    {
        if (timeout > MaxTimerTimeout)
        {
            return;
        }

        _deadline = DateTime.UtcNow + timeout;
        _deadlineCts = new CancellationTokenSource(timeout);
        _deadlineCts.Token.UnsafeRegister(CancelCall, _callCts);
    }

    private Metadata ReadRequestHeaders()
    {
        var metadata = new Metadata();
        foreach (var header in _httpContext.Request.Headers)
        {
            MetadataCodec.AddHeader(metadata, header.Key, header.Value!);
        }

        return metadata;
    }

    private static string FormatPeer(ConnectionInfo connection)
    {
        var address = connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"ipv6:[{address}]:{connection.RemotePort}"
            : $"ipv4:{address}:{connection.RemotePort}";
    }

    internal bool TryBeginWrite() => Interlocked.CompareExchange(ref _writing, 1, 0) == 0;

    internal void EndWrite() => Volatile.Write(ref _writing, 0);

    internal bool CompressResponses => _compressResponses;

    internal IHttpResponseTrailersFeature? TrailersFeature => _httpContext.Features.Get<IHttpResponseTrailersFeature>();
}
