using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;

namespace Cluster.Rpc.Tests;

/// <summary>The transport-neutral half (Cluster.Rpc): definitions hand typed handlers to any binder.</summary>
public sealed class ServiceDefinitionTests
{
    [Fact]
    public async Task BindService_EveryKind_HandsTypedHandlersToBinderInOrderAdded()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Duplex, (IAsyncStreamReader<EchoMessage> requests, IServerStreamWriter<EchoMessage> responses, ServerCallContext context) => Task.CompletedTask)
            .AddMethod(EchoMethods.Unary, (EchoMessage request, ServerCallContext context) => Task.FromResult(EchoMethods.Text("unary:" + request.Text)))
            .AddMethod(EchoMethods.ServerStream, (EchoMessage request, IServerStreamWriter<EchoMessage> responses, ServerCallContext context) => Task.CompletedTask)
            .AddMethod(EchoMethods.ClientStream, (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) => Task.FromResult(new EchoMessage()))
            .Build();
        var binder = new RecordingBinder();

        service.BindService(binder);

        Assert.Equal(["Duplex:DuplexStreaming", "Unary:Unary", "ServerStream:ServerStreaming", "ClientStream:ClientStreaming"], binder.Seen);
        Assert.Equal(binder.Seen.Select(s => s.Split(':')[0]), service.MethodDescriptions.Select(m => m.Name));
        var reply = await binder.Unary!(EchoMethods.Text("x"), new ForeignCallContext());
        Assert.Equal("unary:x", reply.Text);
    }

    [Fact]
    public void GetHttpContext_ContextNotServedByKestrelHost_ThrowsNamingMapRpcService()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new ForeignCallContext().GetHttpContext());
        Assert.Contains("MapRpcService", e.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingBinder : ServiceBinderBase
    {
        public List<string> Seen { get; } = [];

        public UnaryServerMethod<EchoMessage, EchoMessage>? Unary { get; private set; }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
        {
            Seen.Add(method.Name + ":Unary");
            Unary = handler as UnaryServerMethod<EchoMessage, EchoMessage>;
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler) =>
            Seen.Add(method.Name + ":ClientStreaming");

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler) =>
            Seen.Add(method.Name + ":ServerStreaming");

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler) =>
            Seen.Add(method.Name + ":DuplexStreaming");
    }

    /// <summary>A context from some other host (e.g. an in-memory test harness): it has no HTTP request.</summary>
    private sealed class ForeignCallContext : ServerCallContext
    {
        public override string Method => "/interop.Echo/Unary";

        public override string Host => "localhost";

        public override string Peer => "in-memory";

        public override DateTime Deadline => DateTime.MaxValue;

        public override Metadata RequestHeaders { get; } = [];

        public override CancellationToken CancellationToken => CancellationToken.None;

        public override Metadata ResponseTrailers { get; } = [];

        public override Status Status { get; set; }

        public override Task WriteResponseHeadersAsync(Metadata responseHeaders) => Task.CompletedTask;
    }
}
