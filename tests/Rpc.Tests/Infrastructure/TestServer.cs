using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Rpc.Tests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1, port 0 (h2c, or TLS with the given certificate); HTTP/2 limits from
/// <c>ConfigureRpcHttp2</c> unless the <c>http2</c> hook of <see cref="StartAsync"/> sets them.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<TestServer> StartAsync(
        ServerServiceDefinition service,
        Action<RpcServerOptions>? configure = null,
        X509Certificate2? certificate = null,
        Action<IEndpointRouteBuilder>? mapMore = null,
        Action<KestrelServerOptions>? http2 = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (http2 is null) kestrel.ConfigureRpcHttp2();
            else http2(kestrel);
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = certificate is null ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        builder.Services.AddRpcServer(configure);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapRpcService(service);
        mapMore?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TestServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public RpcChannel CreateChannel(RpcChannelOptions? options = null) => RpcChannel.ForAddress(Address, options);

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
