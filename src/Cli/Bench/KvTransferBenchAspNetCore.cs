using System.Net;
using Cluster.Contracts.V1;
using Cluster.KvTransfer.Server;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rpc = Cluster.Rpc;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench kv-transfer --server aspnetcore</c>: the same <see cref="KvTransferGrpcService"/> (Push with the
/// pooled chunk parser, GetTicket) hosted on Grpc.AspNetCore instead of src/Rpc.Server, with the worker hosts' Kestrel
/// settings (1 MiB frames and 16 MiB windows, 64 KiB receive blocks). The service still speaks src/Rpc's server types,
/// so a thin adapter carries the stream, the token and the status across; what issue 13's rule compares is the clients.
/// </summary>
internal static class KvTransferBenchAspNetCore
{
    public static async Task<WebApplication> StartServerAsync(KvTransferGrpcService service)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            Rpc.RpcKestrelExtensions.ConfigureRpcHttp2(k);
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 8 * 1024 * 1024);
        Rpc.RpcReceiveBufferExtensions.AddRpcLargeReceiveBuffers(builder.Services);
        builder.Services.AddSingleton(new PushAdapter(service));
        var app = builder.Build();
        app.MapGrpcService<PushAdapter>();
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// cluster.v1.KvTransfer bound by hand as generated code binds it, Push's frames parsed into pooled buffers
    /// (Grpc.AspNetCore finds the handler by name: a virtual method declared on the type the attribute names).
    /// </summary>
    [BindServiceMethod(typeof(PushAdapter), nameof(BindService))]
    internal class PushAdapter(KvTransferGrpcService service)
    {
        private static readonly Method<KvFrame, PushResult> PushMethod = new(
            MethodType.ClientStreaming, "cluster.v1.KvTransfer", "Push",
            Marshallers.Create<KvFrame>(static (m, c) => c.Complete(m.ToByteArray()), c => KvTransferGrpcService.ParsePushFrame(c.PayloadAsReadOnlySequence())),
            Marshallers.Create<PushResult>(static (m, c) => c.Complete(m.ToByteArray()), c => PushResult.Parser.ParseFrom(c.PayloadAsReadOnlySequence())));

        public static void BindService(ServiceBinderBase binder, PushAdapter? adapter) =>
            binder.AddMethod(PushMethod, adapter is null ? null : adapter.Push);

        public virtual async Task<PushResult> Push(IAsyncStreamReader<KvFrame> requestStream, ServerCallContext context)
        {
            try
            {
                return await service.Push(new Reader(requestStream), new Context(context));
            }
            catch (Rpc.RpcException e)
            {
                throw new RpcException(new Status((StatusCode)(int)e.StatusCode, e.Status.Detail));
            }
        }
    }

    private sealed class Reader(IAsyncStreamReader<KvFrame> inner) : Rpc.IAsyncStreamReader<KvFrame>
    {
        public KvFrame Current => inner.Current;

        public Task<bool> MoveNext(CancellationToken cancellationToken) => inner.MoveNext(cancellationToken);
    }

    private sealed class Context(ServerCallContext inner) : Rpc.ServerCallContext
    {
        public override string Method => inner.Method;
        public override string Host => inner.Host;
        public override string Peer => inner.Peer;
        public override DateTime Deadline => inner.Deadline;
        public override Rpc.Metadata RequestHeaders => [];
        public override CancellationToken CancellationToken => inner.CancellationToken;
        public override Rpc.Metadata ResponseTrailers { get; } = [];
        public override Rpc.Status Status { get; set; }
        public override Task WriteResponseHeadersAsync(Rpc.Metadata responseHeaders) => Task.CompletedTask;
    }
}
