using System.Net;
using Cluster.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Bench;

/// <summary>The <c>grpc-dotnet</c> stack of <c>cluster bench rpc-unary</c>: a Grpc.AspNetCore host and a <see cref="GrpcChannel"/>.</summary>
internal sealed class RpcUnaryBenchGrpcDotnet : IAsyncDisposable, IDisposable
{
    private static readonly Method<ReserveRequest, ReserveResponse> ReserveMethod = new(
        MethodType.Unary, "cluster.v1.Worker", "Reserve", Protobuf(ReserveRequest.Parser), Protobuf(ReserveResponse.Parser));

    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;

    private RpcUnaryBenchGrpcDotnet(WebApplication app)
    {
        _app = app;
        _channel = GrpcChannel.ForAddress(app.Urls.First());
        _invoker = _channel.CreateCallInvoker();
    }

    public static async Task<RpcUnaryBenchGrpcDotnet> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<BenchWorker>();
        await app.StartAsync();
        return new RpcUnaryBenchGrpcDotnet(app);
    }

    public Task<ReserveResponse> CallAsync(ReserveRequest request, CancellationToken cancellationToken) =>
        _invoker.AsyncUnaryCall(ReserveMethod, null, new CallOptions(cancellationToken: cancellationToken), request).ResponseAsync;

    public void Dispose() => _channel.Dispose();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static Marshaller<T> Protobuf<T>(MessageParser<T> parser)
        where T : IMessage<T> => Marshallers.Create<T>(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    /// <summary>
    /// The bench's Reserve service, bound by hand as generated code binds (Grpc.AspNetCore finds the C# method by the
    /// gRPC method's name on the service type; the handler passed is null then, and the
    /// method must be virtual with its base definition on the type named by the attribute, as generated bases are).
    /// </summary>
    [BindServiceMethod(typeof(BenchWorker), nameof(BindService))]
    internal class BenchWorker
    {
        public static void BindService(ServiceBinderBase binder, BenchWorker? service) =>
            binder.AddMethod(ReserveMethod, service is null ? null : service.Reserve);

        public virtual Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context) => Task.FromResult(RpcUnaryBenchCommand.Answer(request));
    }
}
