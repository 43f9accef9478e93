using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Bench;

/// <summary>
/// The bench's Kestrel server on 127.0.0.1 (h2c): the plain HTTP/2 endpoints (the HTTP/2 stack's
/// ceiling without gRPC).
/// </summary>
internal sealed class RpcBenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RpcBenchServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<RpcBenchServer> StartAsync(int messageSize, int kestrelBufferBytes)
    {
        var payload = new byte[messageSize];
        Random.Shared.NextBytes(payload);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 << 20;
            kestrel.Limits.Http2.InitialStreamWindowSize = 16 << 20;
            kestrel.Limits.Http2.MaxFrameSize = (1 << 20) - 1;
            if (kestrelBufferBytes > 0)
            {
                kestrel.Limits.MaxRequestBufferSize = kestrelBufferBytes;
                kestrel.Limits.MaxResponseBufferSize = kestrelBufferBytes;
            }
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        RpcBenchPlainHttp2.Map(app, payload);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new RpcBenchServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
