using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Hosting.Tests.Interop;

/// <summary>A Grpc.AspNetCore host with <see cref="InteropEchoService"/> and 16 MiB limits, shared by the grpc-js client tests.</summary>
public sealed class OurServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    internal InteropEchoService Service { get; } = new();

    internal string HostPort { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        builder.Services.AddSingleton(Service);
        _app = builder.Build();
        _app.MapGrpcService<InteropEchoService>();
        await _app.StartAsync();
        HostPort = new Uri(_app.Urls.First()).Authority;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
