using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Bench;

/// <summary>
/// The grpc-dotnet rows of <c>cluster bench rpc</c>: the same Upload (client streaming, counts bytes) and Download
/// (server streaming) methods on a Grpc.AspNetCore host with the same Kestrel windows and frame size, called through
/// Grpc.Net.Client (one <see cref="GrpcChannel"/> per connection, the same stream window as our channel).
/// </summary>
internal sealed class RpcBenchGrpcDotnet : IAsyncDisposable
{
    /// <summary>Messages up to this size are kept on receipt (control messages); bigger ones are counted only.</summary>
    private const int SmallMessage = 64;

    // Large received messages are counted, not copied out (no 1 MiB array per message).
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create<byte[]>(
        static (b, context) => context.Complete(b),
        static context => context.PayloadLength <= SmallMessage ? context.PayloadAsNewBuffer() : new Counted(context.PayloadLength).Bytes);
    private static readonly Method<byte[], byte[]> UploadMethod = new(MethodType.ClientStreaming, "bench.Rpc", nameof(BenchService.Upload), Bytes, Bytes);
    private static readonly Method<byte[], byte[]> DownloadMethod = new(MethodType.ServerStreaming, "bench.Rpc", nameof(BenchService.Download), Bytes, Bytes);

    private readonly WebApplication _app;
    private readonly byte[] _payload;
    private readonly string _address;

    private RpcBenchGrpcDotnet(WebApplication app, byte[] payload)
    {
        _app = app;
        _payload = payload;
        _address = app.Urls.First();
    }

    public static async Task<RpcBenchGrpcDotnet> StartAsync(int messageSize)
    {
        var payload = new byte[messageSize];
        Random.Shared.NextBytes(payload);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.Http2.InitialConnectionWindowSize = 16 << 20;
            k.Limits.Http2.InitialStreamWindowSize = 16 << 20;
            k.Limits.Http2.MaxFrameSize = (1 << 20) - 1;
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = messageSize + 1024);
        builder.Services.AddSingleton(new BenchService(payload));
        var app = builder.Build();
        app.MapGrpcService<BenchService>();
        await app.StartAsync();
        return new RpcBenchGrpcDotnet(app, payload);
    }

    public GrpcChannel[] CreateChannels(int connections) => [.. Enumerable.Range(0, connections).Select(_ => GrpcChannel.ForAddress(_address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = _payload.Length + 1024,
        HttpHandler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = RpcBenchPlainHttp2.StreamWindow },
    }))];

    public async Task<(long Bytes, double Seconds)> UploadAsync(GrpcChannel[] channels, int streams, long bytesPerStream, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            using var call = channels[s % channels.Length].CreateCallInvoker().AsyncClientStreamingCall(UploadMethod, null, new CallOptions(cancellationToken: cancellationToken));
            for (long sent = 0; sent < bytesPerStream; sent += _payload.Length)
            {
                await call.RequestStream.WriteAsync(_payload, cancellationToken);
            }

            await call.RequestStream.CompleteAsync();
            return BitConverter.ToInt64(await call.ResponseAsync);
        }));
        return (counts.Sum(), watch.Elapsed.TotalSeconds);
    }

    public async Task<(long Bytes, double Seconds)> DownloadAsync(GrpcChannel[] channels, int streams, long bytesPerStream, CancellationToken cancellationToken)
    {
        var messages = (int)Math.Max(1, bytesPerStream / _payload.Length);
        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            using var call = channels[s % channels.Length].CreateCallInvoker().AsyncServerStreamingCall(DownloadMethod, null, new CallOptions(cancellationToken: cancellationToken), BitConverter.GetBytes(messages));
            long bytes = 0;
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                bytes += Counted.LengthOf(call.ResponseStream.Current);
            }

            return bytes;
        }));
        return (counts.Sum(), watch.Elapsed.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A large message's length carried in an 8-byte array (the marshaller's result must be a byte[]).</summary>
    private readonly struct Counted(int length)
    {
        public byte[] Bytes => BitConverter.GetBytes((long)length | long.MinValue);

        public static long LengthOf(byte[] message) =>
            message.Length == 8 && BitConverter.ToInt64(message) is var v && v < 0 ? v & long.MaxValue : message.Length;
    }

    /// <summary>Bound as generated code binds: virtual handlers declared on the type the attribute names.</summary>
    [BindServiceMethod(typeof(BenchService), nameof(BindService))]
    internal class BenchService(byte[] payload)
    {
        public static void BindService(ServiceBinderBase binder, BenchService? service)
        {
            binder.AddMethod(UploadMethod, service is null ? null : new ClientStreamingServerMethod<byte[], byte[]>(service.Upload));
            binder.AddMethod(DownloadMethod, service is null ? null : new ServerStreamingServerMethod<byte[], byte[]>(service.Download));
        }

        public virtual async Task<byte[]> Upload(IAsyncStreamReader<byte[]> requests, ServerCallContext context)
        {
            long bytes = 0;
            while (await requests.MoveNext(context.CancellationToken))
            {
                bytes += Counted.LengthOf(requests.Current);
            }

            return BitConverter.GetBytes(bytes);
        }

        public virtual async Task Download(byte[] request, IServerStreamWriter<byte[]> responses, ServerCallContext context)
        {
            for (var i = 0; i < BitConverter.ToInt32(request); i++)
            {
                await responses.WriteAsync(payload, context.CancellationToken);
            }
        }
    }
}
