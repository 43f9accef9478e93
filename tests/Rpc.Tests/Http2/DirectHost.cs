using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Cluster.Rpc.Tests.Http2;

/// <summary>A real Kestrel on 127.0.0.1 with chosen HTTP/2 windows and frame size, for the direct transport's tests.</summary>
internal sealed class DirectHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DirectHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<DirectHost> StartAsync(
        ServerServiceDefinition service,
        int streamWindow = RpcKestrelExtensions.DefaultStreamWindowSize,
        int connectionWindow = RpcKestrelExtensions.DefaultConnectionWindowSize,
        int maxFrameSize = RpcKestrelExtensions.DefaultMaxFrameSize,
        X509Certificate2? certificate = null,
        bool largeReceiveBuffers = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ConfigureRpcHttp2(streamWindow, connectionWindow, maxFrameSize);
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        builder.Services.AddRpcServer(o => o.MaxReceiveMessageSize = 8 << 20);
        if (largeReceiveBuffers)
        {
            builder.Services.AddRpcLargeReceiveBuffers();
        }

        var app = builder.Build();
        app.MapRpcService(service);
        await app.StartAsync();
        return new DirectHost(app, new Uri(app.Urls.Single()));
    }

    public RpcChannel Channel(RpcClientStreamingTransport transport, Action<RpcChannelOptions>? configure = null)
    {
        var options = new RpcChannelOptions { ClientStreamingTransport = transport };
        configure?.Invoke(options);
        return RpcChannel.ForAddress(Address, options);
    }

    public static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
