using System.Net;
using System.Net.Security;
using Cluster.Rpc.Client;
using Cluster.Rpc.Client.Http2;

namespace Cluster.Rpc;

/// <summary>
/// A client's connection pool to one server address. <c>http://</c> speaks HTTP/2 with prior knowledge (h2c);
/// <c>https://</c> negotiates h2 with ALPN. Many concurrent calls share its connections. Thread-safe.
/// </summary>
public sealed class RpcChannel : IDisposable
{
    private readonly bool _ownsClient;
    private readonly HttpClient[] _clients;
    private int _next;

    private RpcChannel(Uri address, RpcChannelOptions options)
    {
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"Address '{address}' must start with http:// (h2c) or https:// (TLS).", nameof(address));
        }

        Address = new Uri(address.GetLeftPart(UriPartial.Authority));
        Options = options;
        DirectHttp2 = options.ClientStreamingTransport == RpcClientStreamingTransport.DirectHttp2 ? new Http2ConnectionPool(Address, options) : null;
        if (options.HttpClient is not null)
        {
            _clients = [options.HttpClient];
        }
        else if (options.HttpHandler is not null)
        {
            _clients = [new HttpClient(options.HttpHandler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan }];
            _ownsClient = true;
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(options.ConnectionCount, 1, nameof(options));
            _clients = Enumerable.Range(0, options.ConnectionCount)
                .Select(_ => new HttpClient(CreateHandler(options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan })
                .ToArray();
            _ownsClient = true;
        }
    }

    /// <summary>The server's base address (scheme and authority).</summary>
    public Uri Address { get; }

    internal RpcChannelOptions Options { get; }

    /// <summary>The direct HTTP/2 transport's connections, when client-streaming calls use it.</summary>
    internal Http2ConnectionPool? DirectHttp2 { get; }

    /// <summary>The HttpClient for the next call (round-robin when there are several connections).</summary>
    internal HttpClient HttpClient =>
        _clients.Length == 1 ? _clients[0] : _clients[(int)((uint)Interlocked.Increment(ref _next) % (uint)_clients.Length)];

    /// <summary>A channel to <paramref name="address"/>, e.g. <c>http://127.0.0.1:5001</c>.</summary>
    public static RpcChannel ForAddress(string address, RpcChannelOptions? options = null) =>
        ForAddress(new Uri(address, UriKind.Absolute), options);

    /// <summary>A channel to <paramref name="address"/>.</summary>
    public static RpcChannel ForAddress(Uri address, RpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new RpcChannel(address, options ?? new RpcChannelOptions());
    }

    /// <summary>An invoker that starts calls on this channel.</summary>
    public CallInvoker CreateCallInvoker() => new HttpCallInvoker(this);

    /// <summary>Disposes the channel's own HttpClient (not one given in options).</summary>
    public void Dispose()
    {
        DirectHttp2?.Dispose();
        if (_ownsClient)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }
    }

    private static SocketsHttpHandler CreateHandler(RpcChannelOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = options.EnableMultipleHttp2Connections,
            InitialHttp2StreamWindowSize = options.Http2StreamWindowSize,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
        if (options.ServerCertificateValidation is { } validate)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validate };
        }

        return handler;
    }
}
