namespace Cluster.Rpc;

/// <summary>Options of an <see cref="RpcChannel"/>.</summary>
public sealed class RpcChannelOptions
{
    /// <summary>Default largest response message: 4 MiB, as in gRPC.</summary>
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>Default HTTP/2 stream receive window of the channel's own handler: 16 MiB.</summary>
    public const int DefaultHttp2StreamWindowSize = 16 * 1024 * 1024;

    /// <summary>An HttpClient to send calls with (not disposed by the channel). Takes precedence over <see cref="HttpHandler"/>.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>A handler to build the channel's HttpClient on (not disposed by the channel).</summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Largest response message accepted (after decompression); null for no limit. Default 4 MiB.</summary>
    public int? MaxReceiveMessageSize { get; set; } = DefaultMaxReceiveMessageSize;

    /// <summary>Largest request message sent; null (default) for no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// Initial HTTP/2 stream receive window of the channel's own SocketsHttpHandler (it also grows windows
    /// dynamically). Ignored when <see cref="HttpClient"/> or <see cref="HttpHandler"/> is given.
    /// </summary>
    public int Http2StreamWindowSize { get; set; } = DefaultHttp2StreamWindowSize;

    /// <summary>Open more HTTP/2 connections when one reaches the server's stream limit. Default true.</summary>
    public bool EnableMultipleHttp2Connections { get; set; } = true;

    /// <summary>
    /// HTTP/2 connections the channel's own handler spreads calls over, round-robin (default 1). One connection
    /// moves roughly one core's worth of bytes; concurrent large streams (KV transfer) go faster over several.
    /// Ignored when <see cref="HttpClient"/> or <see cref="HttpHandler"/> is given.
    /// </summary>
    public int ConnectionCount { get; set; } = 1;

    /// <summary>Metadata sent with every call, before the call's own headers.</summary>
    public Metadata? DefaultHeaders { get; set; }

    /// <summary>
    /// For <c>https://</c> addresses with the channel's own handler: validates the server certificate. Null
    /// uses the system's validation.
    /// </summary>
    public System.Net.Security.RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>
    /// What carries client-streaming calls: HttpClient (default) or the channel's own HTTP/2 connections
    /// (<see cref="RpcClientStreamingTransport.DirectHttp2"/>, which ignores <see cref="HttpClient"/> and
    /// <see cref="HttpHandler"/> but honours <see cref="ConnectionCount"/> and <see cref="ServerCertificateValidation"/>).
    /// </summary>
    public RpcClientStreamingTransport ClientStreamingTransport { get; set; } = RpcClientStreamingTransport.HttpClient;
}
