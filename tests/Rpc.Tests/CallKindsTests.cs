using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;
using Google.Protobuf;

namespace Cluster.Rpc.Tests;

public sealed class CallKindsTests
{
    [Fact]
    public async Task Unary_Echo_ReturnsResponseAndOkStatus()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (request, _) => Task.FromResult(new EchoMessage { Text = request.Text + "!", Payload = request.Payload }))
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage { Text = "hi", Payload = ByteString.CopyFromUtf8("abc") });
        var response = await call.ResponseAsync.WaitBounded();

        Assert.Equal("hi!", response.Text);
        Assert.Equal("abc", response.Payload.ToStringUtf8());
        Assert.Equal(StatusCode.OK, call.GetStatus().Code);
    }

    [Fact]
    public async Task ServerStreaming_CountOfThree_ReceivesAllInOrder()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ServerStream, async (EchoMessage request, IServerStreamWriter<EchoMessage> stream, ServerCallContext _) =>
            {
                for (var i = 0; i < request.Count; i++)
                {
                    await stream.WriteAsync(new EchoMessage { Count = i });
                }
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, default, new EchoMessage { Count = 3 });
        var received = new List<int>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            received.Add(message.Count);
        }

        Assert.Equal([0, 1, 2], received);
        Assert.Equal(StatusCode.OK, call.GetStatus().Code);
    }

    [Fact]
    public async Task ServerStreaming_NoMessages_EndsWithOk()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ServerStream, (EchoMessage _, IServerStreamWriter<EchoMessage> _, ServerCallContext _) => Task.CompletedTask)
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, default, new EchoMessage());

        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
        Assert.Equal(StatusCode.OK, call.GetStatus().Code);
    }

    [Fact]
    public async Task ClientStreaming_FiveMessages_ServerSeesAllAndReplies()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext _) =>
            {
                var texts = new List<string>();
                await foreach (var message in requests.ReadAllAsync())
                {
                    texts.Add(message.Text);
                }

                return new EchoMessage { Text = string.Join(",", texts), Count = texts.Count };
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, default);
        for (var i = 0; i < 5; i++)
        {
            await call.RequestStream.WriteAsync(EchoMethods.Text(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).WaitBounded();
        }

        await call.RequestStream.CompleteAsync();
        var response = await call.ResponseAsync.WaitBounded();

        Assert.Equal("0,1,2,3,4", response.Text);
        Assert.Equal(5, response.Count);
    }

    [Fact]
    public async Task DuplexStreaming_PingPong_EchoesEachBeforeTheNextIsSent()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Duplex, async (IAsyncStreamReader<EchoMessage> requests, IServerStreamWriter<EchoMessage> responses, ServerCallContext _) =>
            {
                await foreach (var message in requests.ReadAllAsync())
                {
                    await responses.WriteAsync(new EchoMessage { Text = "echo:" + message.Text });
                }
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(EchoMethods.Duplex, null, default);
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(EchoMethods.Text("m" + i)).WaitBounded();
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
            Assert.Equal("echo:m" + i, call.ResponseStream.Current.Text);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitBounded());
        Assert.Equal(StatusCode.OK, call.GetStatus().Code);
    }

    [Fact]
    public async Task Unary_HundredConcurrentCalls_AllRunAtOnceOnOneConnection()
    {
        const int Calls = 100;
        var arrived = 0;
        var allArrived = Bounded.NewSignal();
        var connections = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, async (request, context) =>
            {
                connections.TryAdd(context.GetHttpContext().Connection.Id, 0);
                if (Interlocked.Increment(ref arrived) == Calls)
                {
                    allArrived.SetResult();
                }

                await allArrived.Task;
                return request;
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel(new RpcChannelOptions { EnableMultipleHttp2Connections = false });
        var invoker = channel.CreateCallInvoker();

        var calls = Enumerable.Range(0, Calls).Select(i => invoker.AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage { Count = i })).ToList();
        var responses = await Task.WhenAll(calls.Select(c => c.ResponseAsync)).WaitBounded();

        Assert.Equal(Enumerable.Range(0, Calls), responses.Select(r => r.Count));
        Assert.Single(connections);
        calls.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Unary_ChannelWithFourConnections_CallsSpreadRoundRobin()
    {
        var connections = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.Unary, (EchoMessage request, ServerCallContext context) =>
            {
                connections.AddOrUpdate(context.GetHttpContext().Connection.Id, 1, (_, n) => n + 1);
                return Task.FromResult(request);
            })
            .Build();
        await using var server = await TestServer.StartAsync(service);
        using var channel = server.CreateChannel(new RpcChannelOptions { ConnectionCount = 4 });
        var invoker = channel.CreateCallInvoker();

        for (var i = 0; i < 8; i++)
        {
            using var call = invoker.AsyncUnaryCall(EchoMethods.Unary, null, default, new EchoMessage());
            await call.ResponseAsync.WaitBounded();
        }

        Assert.Equal(4, connections.Count);
        Assert.All(connections.Values, n => Assert.Equal(2, n));
    }
}
