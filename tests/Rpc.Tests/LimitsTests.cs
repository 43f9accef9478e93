using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;

namespace Cluster.Rpc.Tests;

public sealed class LimitsTests
{
    private static ServerServiceDefinition EchoService(Action? onCall = null) => ServerServiceDefinition.CreateBuilder()
        .AddMethod(EchoMethods.Unary, (EchoMessage request, ServerCallContext _) =>
        {
            onCall?.Invoke();
            return Task.FromResult(request);
        })
        .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext _) =>
        {
            var count = 0;
            await foreach (var unused in requests.ReadAllAsync())
            {
                count++;
            }

            return new EchoMessage { Count = count };
        })
        .Build();

    [Fact]
    public async Task Unary_RequestOverServerReceiveLimit_ResourceExhaustedAndHandlerNotCalled()
    {
        var called = false;
        await using var server = await TestServer.StartAsync(EchoService(() => called = true), o => o.MaxReceiveMessageSize = 1000);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, EchoMethods.Payload(2000));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.False(called);
    }

    [Fact]
    public async Task ClientStreaming_OneMessageOverServerLimit_ResourceExhausted()
    {
        await using var server = await TestServer.StartAsync(EchoService(), o => o.MaxReceiveMessageSize = 1000);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, default);
        await call.RequestStream.WriteAsync(EchoMethods.Payload(10)).WaitBounded();
        try
        {
            await call.RequestStream.WriteAsync(EchoMethods.Payload(5000)).WaitBounded();
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server may end the call before this write is accepted; the status below is what counts.
        }

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Unary_ResponseOverClientReceiveLimit_ResourceExhausted()
    {
        await using var server = await TestServer.StartAsync(EchoService());
        using var channel = server.CreateChannel(new RpcChannelOptions { MaxReceiveMessageSize = 1000 });

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, EchoMethods.Payload(2000));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Unary_RequestOverClientSendLimit_ResourceExhaustedWithoutReachingServer()
    {
        var called = false;
        await using var server = await TestServer.StartAsync(EchoService(() => called = true));
        using var channel = server.CreateChannel(new RpcChannelOptions { MaxSendMessageSize = 1000 });

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, EchoMethods.Payload(2000));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.False(called);
    }

    [Fact]
    public async Task Unary_ResponseOverServerSendLimit_ResourceExhausted()
    {
        await using var server = await TestServer.StartAsync(EchoService(), o => o.MaxSendMessageSize = 1000);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, EchoMethods.Payload(2000));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Unary_SixMebibyteMessageWithRaisedLimits_RoundTrips()
    {
        const int Size = 6 * 1024 * 1024;
        await using var server = await TestServer.StartAsync(EchoService(), o => o.MaxReceiveMessageSize = 8 * 1024 * 1024);
        using var channel = server.CreateChannel(new RpcChannelOptions { MaxReceiveMessageSize = 8 * 1024 * 1024 });
        var request = new EchoMessage { Payload = Google.Protobuf.ByteString.CopyFrom(Enumerable.Range(0, Size).Select(i => (byte)(i * 31)).ToArray()) };

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, request);
        var response = await call.ResponseAsync.WaitBounded();

        Assert.Equal(request.Payload, response.Payload);
    }
}
