using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;
using Google.Protobuf;

namespace Cluster.Rpc.Tests;

/// <summary>1 MiB messages, the KV-transfer chunk size, through every streaming direction.</summary>
public sealed class LargeMessageTests
{
    private const int Mebibyte = 1024 * 1024;
    private static readonly ByteString Chunk = ByteString.CopyFrom(Enumerable.Range(0, Mebibyte).Select(i => (byte)(i * 7)).ToArray());

    private static ServerServiceDefinition Service() => ServerServiceDefinition.CreateBuilder()
        .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) =>
        {
            var count = 0;
            var intact = true;
            await foreach (var message in requests.ReadAllAsync(context.CancellationToken))
            {
                count++;
                intact &= message.Payload.Equals(Chunk);
            }

            return new EchoMessage { Count = count, Text = intact ? "intact" : "corrupt" };
        })
        .AddMethod(EchoMethods.ServerStream, async (EchoMessage request, IServerStreamWriter<EchoMessage> responses, ServerCallContext _) =>
        {
            for (var i = 0; i < request.Count; i++)
            {
                await responses.WriteAsync(new EchoMessage { Count = i, Payload = Chunk });
            }
        })
        .Build();

    [Fact]
    public async Task ClientStreaming_FortyOneMebibyteMessages_AllArriveIntact()
    {
        await using var server = await TestServer.StartAsync(Service(), o => o.MaxReceiveMessageSize = 2 * Mebibyte);
        using var channel = server.CreateChannel();

        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, default);
        for (var i = 0; i < 40; i++)
        {
            await call.RequestStream.WriteAsync(new EchoMessage { Payload = Chunk }).WaitBounded();
        }

        await call.RequestStream.CompleteAsync();
        var response = await call.ResponseAsync.WaitBounded();

        Assert.Equal(40, response.Count);
        Assert.Equal("intact", response.Text);
    }

    [Fact]
    public async Task ServerStreaming_FortyOneMebibyteMessages_AllArriveIntact()
    {
        await using var server = await TestServer.StartAsync(Service());
        using var channel = server.CreateChannel(new RpcChannelOptions { MaxReceiveMessageSize = 2 * Mebibyte });

        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.ServerStream, null, default, new EchoMessage { Count = 40 });
        var counts = new List<int>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(Chunk, message.Payload);
            counts.Add(message.Count);
        }

        Assert.Equal(Enumerable.Range(0, 40), counts);
    }
}
