using System.Security.Cryptography.X509Certificates;
using Cluster.Rpc.Tests.Infrastructure;

namespace Cluster.Rpc.Tests.Http2;

/// <summary>
/// A <see cref="TestServer"/> with chosen HTTP/2 windows and frame size and an 8 MiB message limit, for the direct
/// transport's tests.
/// </summary>
internal sealed class DirectHost : IAsyncDisposable
{
    private readonly TestServer _server;

    private DirectHost(TestServer server) => _server = server;

    public Uri Address => _server.Address;

    public static async Task<DirectHost> StartAsync(
        ServerServiceDefinition service,
        int streamWindow = RpcKestrelExtensions.DefaultStreamWindowSize,
        int connectionWindow = RpcKestrelExtensions.DefaultConnectionWindowSize,
        int maxFrameSize = RpcKestrelExtensions.DefaultMaxFrameSize,
        X509Certificate2? certificate = null,
        bool largeReceiveBuffers = false) =>
        new(await TestServer.StartAsync(
            service,
            o => o.MaxReceiveMessageSize = 8 << 20,
            certificate,
            http2: kestrel => kestrel.ConfigureRpcHttp2(streamWindow, connectionWindow, maxFrameSize),
            services: largeReceiveBuffers ? s => s.AddRpcLargeReceiveBuffers() : null));

    public RpcChannel Channel(RpcClientStreamingTransport transport, Action<RpcChannelOptions>? configure = null)
    {
        var options = new RpcChannelOptions { ClientStreamingTransport = transport };
        configure?.Invoke(options);
        return RpcChannel.ForAddress(Address, options);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
