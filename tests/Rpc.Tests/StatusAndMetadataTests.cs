using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;

namespace Cluster.Rpc.Tests;

public sealed class StatusAndMetadataTests
{
    private static readonly byte[] Details = [0, 1, 2, 250, 255];

    [Fact]
    public async Task Unary_HandlerThrowsRpcExceptionWithDetails_ClientGetsStatusMessageAndDetailsBin()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (EchoMessage _, ServerCallContext _) =>
            {
                var trailers = new Metadata { { "grpc-status-details-bin", Details }, { "x-reason", "quota" } };
                throw new RpcException(new Status(StatusCode.InvalidArgument, "bad input: 100% ünïcode\nline"), trailers);
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("bad input: 100% ünïcode\nline", ex.Status.Detail);
        Assert.Equal(Details, ex.Trailers.GetValueBytes("grpc-status-details-bin"));
        Assert.Equal("quota", ex.Trailers.GetValue("x-reason"));
        Assert.Equal(ex.Status, call.GetStatus());
    }

    [Fact]
    public async Task ServerStreaming_RpcExceptionAfterMessages_StatusInTrailersAfterMessages()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ServerStream, async (EchoMessage _, IServerStreamWriter<EchoMessage> stream, ServerCallContext _) =>
            {
                await stream.WriteAsync(EchoMethods.Text("first"));
                throw new RpcException(new Status(StatusCode.Aborted, "stopped"), new Metadata { { "grpc-status-details-bin", Details } });
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, default, new EchoMessage());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
        Assert.Equal("first", call.ResponseStream.Current.Text);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());

        Assert.Equal(new Status(StatusCode.Aborted, "stopped"), ex.Status);
        Assert.Equal(Details, ex.Trailers.GetValueBytes("grpc-status-details-bin"));
    }

    [Theory]
    [InlineData(false, "Exception was thrown by handler.")]
    [InlineData(true, "Exception was thrown by handler. InvalidOperationException: secret detail")]
    public async Task Unary_HandlerThrowsException_UnknownWithDetailOnlyWhenEnabled(bool detailed, string expected)
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (EchoMessage _, ServerCallContext _) => throw new InvalidOperationException("secret detail"))
            .Build();
        await using var server = await TestServer.StartAsync(service, o => o.EnableDetailedErrors = detailed);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(new Status(StatusCode.Unknown, expected), ex.Status);
    }

    [Fact]
    public async Task Unary_HandlerSetsStatus_ClientGetsItWithoutResponse()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (EchoMessage request, ServerCallContext context) =>
            {
                context.Status = new Status(StatusCode.NotFound, "no such thing");
                return Task.FromResult(request);
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(new Status(StatusCode.NotFound, "no such thing"), ex.Status);
    }

    [Fact]
    public async Task Unary_MetadataBothWays_HandlerAndClientSeeEveryEntry()
    {
        Metadata? seen = null;
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, async (EchoMessage request, ServerCallContext context) =>
            {
                seen = context.RequestHeaders;
                await context.WriteResponseHeadersAsync(new Metadata { { "x-header", "h1" }, { "x-header-bin", new byte[] { 9, 8 } } });
                context.ResponseTrailers.Add("x-trailer", "t1");
                context.ResponseTrailers.Add("x-trailer-bin", new byte[] { 1, 2, 3 });
                return request;
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel(new RpcChannelOptions { DefaultHeaders = new Metadata { { "x-default", "d" } } });
        var headers = new Metadata { { "X-Custom", "value 1" }, { "x-custom-bin", new byte[] { 0, 255, 128 } } };

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(headers), new EchoMessage());
        await call.ResponseAsync.WaitBounded();
        var responseHeaders = await call.ResponseHeadersAsync.WaitBounded();

        Assert.NotNull(seen);
        Assert.Equal("value 1", seen.GetValue("x-custom"));
        Assert.Equal(new byte[] { 0, 255, 128 }, seen.GetValueBytes("x-custom-bin"));
        Assert.Equal("d", seen.GetValue("x-default"));
        Assert.Null(seen.Get("grpc-accept-encoding"));
        Assert.Equal("h1", responseHeaders.GetValue("x-header"));
        Assert.Equal(new byte[] { 9, 8 }, responseHeaders.GetValueBytes("x-header-bin"));
        Assert.Equal("t1", call.GetTrailers().GetValue("x-trailer"));
        Assert.Equal(new byte[] { 1, 2, 3 }, call.GetTrailers().GetValueBytes("x-trailer-bin"));
    }

    [Fact]
    public async Task Unary_UnknownMethodOfKnownService_Unimplemented()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (EchoMessage r, ServerCallContext _) => Task.FromResult(r))
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();
        var missing = new Method<EchoMessage, EchoMessage>(MethodType.Unary, EchoMethods.ServiceName, "Missing", EchoMethods.Marshaller, EchoMethods.Marshaller);

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(missing, null, default, new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Contains("/interop.Echo/Missing", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DuplexStreaming_UnknownService_Unimplemented()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (EchoMessage r, ServerCallContext _) => Task.FromResult(r))
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();
        var missing = new Method<EchoMessage, EchoMessage>(MethodType.DuplexStreaming, "other.Service", "Call", EchoMethods.Marshaller, EchoMethods.Marshaller);

        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(missing, null, default);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task Unary_ServerAnswersHttp503WithoutGrpcStatus_Unavailable()
    {
        var service = ServerServiceDefinition.CreateBuilder().Build();
        await using var server = await TestServer.StartAsync(service, mapMore: endpoints =>
            Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapPost(endpoints, "/interop.Echo/Unary", context =>
            {
                context.Response.StatusCode = 503;
                return Task.CompletedTask;
            }));
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("503", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unary_NoServerListening_Unavailable()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var channel = RpcChannel.ForAddress($"http://127.0.0.1:{port}");

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }
}
