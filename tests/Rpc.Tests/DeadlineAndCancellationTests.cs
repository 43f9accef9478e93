using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;

namespace Cluster.Rpc.Tests;

public sealed class DeadlineAndCancellationTests
{
    [Fact]
    public async Task Unary_DeadlineExpires_ClientGetsDeadlineExceededAndHandlerTokenFires()
    {
        var handlerCancelled = Bounded.NewSignal<DateTime>();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, async (EchoMessage request, ServerCallContext context) =>
            {
                var deadline = context.Deadline;
                using var registration = context.CancellationToken.Register(() => handlerCancelled.TrySetResult(deadline));
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
                return request;
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        var warmUpMethod = new Method<EchoMessage, EchoMessage>(MethodType.Unary, EchoMethods.ServiceName, "WarmUp", EchoMethods.Marshaller, EchoMethods.Marshaller);
        using var warmUp = channel.CreateCallInvoker().AsyncUnaryCall(warmUpMethod, null, default, new EchoMessage());
        await Assert.ThrowsAsync<RpcException>(() => warmUp.ResponseAsync.WaitBounded()); // connected: the deadline is spent in the handler

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(1)), new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        var serverDeadline = await handlerCancelled.Task.WaitBounded();

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.NotEqual(DateTime.MaxValue, serverDeadline);
        Assert.True(serverDeadline < DateTime.UtcNow.AddSeconds(1), $"server deadline {serverDeadline:O} should come from grpc-timeout");
    }

    [Fact]
    public async Task Unary_ServerDeadlineWithUncooperativeClientTimer_ServerAnswersDeadlineExceeded()
    {
        // The client sends grpc-timeout but the server's own timer fires first: raw request, no client enforcement.
        var service = EchoMethods.UnaryUntilCancelled();
        await using var server = await TestServer.StartAsync(service);
        using var client = RawGrpc.CreateClient();

        using var response = await client.SendAsync(RawGrpc.Request(server.Address, "/interop.Echo/Unary", RawGrpc.Frame(0, []), ("grpc-timeout", "200m"))).WaitBounded();
        await response.Content.ReadAsByteArrayAsync().WaitBounded();

        Assert.Equal("4", RawGrpc.StatusOf(response));
    }

    [Fact]
    public async Task Unary_DeadlineAlreadyPassed_FailsWithoutReachingServer()
    {
        var reached = false;
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (EchoMessage request, ServerCallContext _) =>
            {
                reached = true;
                return Task.FromResult(request);
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(-1)), new EchoMessage());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.False(reached);
    }

    [Fact]
    public async Task ServerStreaming_ClientCancelsMidStream_HandlerTokenFiresAndClientGetsCancelled()
    {
        var firstSent = Bounded.NewSignal();
        var handlerCancelled = Bounded.NewSignal();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ServerStream, async (EchoMessage _, IServerStreamWriter<EchoMessage> stream, ServerCallContext context) =>
            {
                using var registration = context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
                await stream.WriteAsync(EchoMethods.Text("first"));
                firstSent.SetResult();
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, new CallOptions(cancellationToken: cts.Token), new EchoMessage());
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
        await firstSent.Task.WaitBounded();
        var next = call.ResponseStream.MoveNext(CancellationToken.None);
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => next.WaitBounded());
        await handlerCancelled.Task.WaitBounded();
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.Equal(StatusCode.Cancelled, call.GetStatus().Code);
    }

    [Fact]
    public async Task ClientStreaming_ClientDisposesCallMidStream_HandlerSeesCancellation()
    {
        var firstReceived = Bounded.NewSignal();
        var handlerOutcome = Bounded.NewSignal<string>();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) =>
            {
                try
                {
                    await requests.MoveNext(context.CancellationToken);
                    firstReceived.SetResult();
                    await requests.MoveNext(context.CancellationToken);
                    handlerOutcome.TrySetResult("read completed");
                }
                catch (Exception)
                {
                    // The failed read and the token are two signals of one reset; wait (bounded) for the token.
                    var tokenFired = Bounded.NewSignal();
                    using var registration = context.CancellationToken.Register(tokenFired.SetResult);
                    await tokenFired.Task.WaitBounded();
                    handlerOutcome.TrySetResult("cancelled");
                    throw;
                }

                return new EchoMessage();
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, default);
        await call.RequestStream.WriteAsync(EchoMethods.Text("one")).WaitBounded();
        await firstReceived.Task.WaitBounded();
        call.Dispose();

        Assert.Equal("cancelled", await handlerOutcome.Task.WaitBounded());
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task DuplexStreaming_CancelTokenOfMoveNext_CancelsCallAndHandler()
    {
        var handlerCancelled = Bounded.NewSignal();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Duplex, async (IAsyncStreamReader<EchoMessage> requests, IServerStreamWriter<EchoMessage> _, ServerCallContext context) =>
            {
                using var registration = context.CancellationToken.Register(() => handlerCancelled.TrySetResult());
                while (await requests.MoveNext(context.CancellationToken))
                {
                }
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();

        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(EchoMethods.Duplex, null, default);
        await call.RequestStream.WriteAsync(EchoMethods.Text("x")).WaitBounded();
        var read = call.ResponseStream.MoveNext(cts.Token);
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => read.WaitBounded());
        await handlerCancelled.Task.WaitBounded();
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }
}
