using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Bench;

/// <summary>
/// The bench's Kestrel server on 127.0.0.1 (h2c): Upload counts the bytes of a client stream; Download
/// streams (request length) messages of the given size back; plus the plain HTTP/2 endpoints.
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
            kestrel.ConfigureRpcHttp2();
            if (kestrelBufferBytes > 0)
            {
                kestrel.Limits.MaxRequestBufferSize = kestrelBufferBytes;
                kestrel.Limits.MaxResponseBufferSize = kestrelBufferBytes;
            }
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddRpcServer(o => o.MaxReceiveMessageSize = messageSize + 1024);
        var app = builder.Build();
        app.MapRpcService(ServerServiceDefinition.CreateBuilder()
            .AddMethod(RpcBenchPayload.Upload, async (IAsyncStreamReader<RpcBenchPayload> requests, ServerCallContext context) =>
            {
                long bytes = 0;
                while (await requests.MoveNext(context.CancellationToken))
                {
                    bytes += requests.Current.Length;
                }

                return new RpcBenchPayload(BitConverter.GetBytes(bytes), 8);
            })
            .AddMethod(RpcBenchPayload.Download, async (RpcBenchPayload request, IServerStreamWriter<RpcBenchPayload> responses, ServerCallContext context) =>
            {
                // The request's length is the number of messages wanted.
                var message = new RpcBenchPayload(payload, payload.Length);
                for (var i = 0; i < request.Length; i++)
                {
                    await responses.WriteAsync(message, context.CancellationToken);
                }
            })
            .Build());
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
