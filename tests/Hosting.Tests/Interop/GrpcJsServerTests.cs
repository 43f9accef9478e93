using Grpc.Core;
using Grpc.Net.Client;
using Google.Protobuf;

namespace Cluster.Hosting.Tests.Interop;

/// <summary>Grpc.Net.Client against the real @grpc/grpc-js server (tests/interop/server.js).</summary>
public sealed class GrpcJsServerTests(GrpcJsServerFixture fixture) : IClassFixture<GrpcJsServerFixture>
{
    private GrpcChannel CreateChannel() => GrpcChannel.ForAddress(fixture.Address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 16 * 1024 * 1024,
    });

    [Fact]
    public async Task Unary_WithMetadata_EchoedWithHeadersAndTrailers()
    {
        using var channel = CreateChannel();
        var headers = new Metadata { { "x-test", "from-dotnet" }, { "x-test-bin", new byte[] { 0, 1, 2, 254 } } };

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(headers), new EchoMessage { Text = "hi" });
        var response = await call.ResponseAsync.WaitBounded();
        var responseHeaders = await call.ResponseHeadersAsync.WaitBounded();

        Assert.Equal("echo:hi", response.Text);
        Assert.Equal("from-dotnet", responseHeaders.GetValue("x-echo"));
        Assert.Equal(new byte[] { 0, 1, 2, 254 }, responseHeaders.GetValueBytes("x-echo-bin"));
        Assert.Equal("done", call.GetTrailers().GetValue("x-trailer"));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Unary_ServerError_StatusDetailAndStatusDetailsBin()
    {
        using var channel = CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, EchoMethods.Text("error"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("interop error ü 100%", ex.Status.Detail);
        Assert.Equal(InteropEchoService.Details, ex.Trailers.GetValueBytes("grpc-status-details-bin"));
        Assert.Equal("yes", ex.Trailers.GetValue("x-error"));
    }

    [Fact]
    public async Task Unary_FiveMebibytePayloadWithRaisedLimits_RoundTrips()
    {
        using var channel = CreateChannel();
        var payload = ByteString.CopyFrom(Enumerable.Range(0, 5 * 1024 * 1024).Select(i => (byte)(i * 31)).ToArray());

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage { Payload = payload });
        var response = await call.ResponseAsync.WaitBounded();

        Assert.Equal(payload, response.Payload);
    }

    [Fact]
    public async Task Unary_ResponseOverDefaultLimit_ResourceExhausted()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Address);
        var payload = ByteString.CopyFrom(new byte[5 * 1024 * 1024]);

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage { Payload = payload });
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task Unary_DeadlineExpires_DeadlineExceededAndServerSeesCancellation()
    {
        using var channel = CreateChannel();
        using var warmUp = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, EchoMethods.Text("warm-up"));
        await warmUp.ResponseAsync.WaitBounded(); // connected: the deadline below is spent in the server's handler

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(1)), EchoMethods.Text("wait"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await fixture.Node.WaitForLineAsync(l => l == "EVENT cancelled Unary");
    }

    [Fact]
    public async Task ServerStreaming_FiveMessages_AllReceivedInOrder()
    {
        using var channel = CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, default, new EchoMessage { Count = 5, Payload = ByteString.CopyFrom(new byte[100]) });
        var messages = await call.ResponseStream.ReadAllAsync().ToListAsync().AsTask().WaitBounded();

        Assert.Equal([0, 1, 2, 3, 4], messages.Select(m => m.Count));
        Assert.All(messages, m => Assert.Equal(100, m.Payload.Length));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ServerStreaming_CancelMidStream_ServerSeesCancellation()
    {
        using var channel = CreateChannel();
        using var cts = new CancellationTokenSource();

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, new CallOptions(cancellationToken: cts.Token), EchoMethods.Text("wait"));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
        Assert.Equal("first", call.ResponseStream.Current.Text);
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await fixture.Node.WaitForLineAsync(l => l == "EVENT cancelled ServerStream");
    }

    [Fact]
    public async Task ClientStreaming_FourMessages_CountAndBytes()
    {
        using var channel = CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, default);
        foreach (var size in new[] { 1, 10, 100, 1000 })
        {
            await call.RequestStream.WriteAsync(new EchoMessage { Payload = ByteString.CopyFrom(new byte[size]) }).WaitBounded();
        }

        await call.RequestStream.CompleteAsync();
        var response = await call.ResponseAsync.WaitBounded();

        Assert.Equal(4, response.Count);
        Assert.Equal("1111", response.Text);
    }

    [Fact]
    public async Task ClientStreaming_DisposeMidStream_ServerSeesCancellation()
    {
        using var channel = CreateChannel();

        var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, default);
        await call.RequestStream.WriteAsync(EchoMethods.Text("one")).WaitBounded();
        call.Dispose();

        await fixture.Node.WaitForLineAsync(l => l == "EVENT cancelled ClientStream");
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task Duplex_PingPong_EchoesEach()
    {
        using var channel = CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(EchoMethods.Duplex, null, default);
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(EchoMethods.Text("m" + i)).WaitBounded();
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
            Assert.Equal("echo:m" + i, call.ResponseStream.Current.Text);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Duplex_ServerErrorAfterOneMessage_MessageThenStatusWithDetails()
    {
        using var channel = CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(EchoMethods.Duplex, null, default);
        await call.RequestStream.WriteAsync(EchoMethods.Text("ok")).WaitBounded();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
        var first = call.ResponseStream.Current; // Grpc.Net.Client clears Current once the call fails
        await call.RequestStream.WriteAsync(EchoMethods.Text("error")).WaitBounded();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());

        Assert.Equal("echo:ok", first.Text);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal(InteropEchoService.Details, ex.Trailers.GetValueBytes("grpc-status-details-bin"));
    }
}
