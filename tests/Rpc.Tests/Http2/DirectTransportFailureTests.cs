using System.Net;
using System.Net.Sockets;
using Cluster.Rpc.Server;
using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;

namespace Cluster.Rpc.Tests.Http2;

/// <summary>Statuses, cancellation and deadlines of the direct transport, checked against the HttpClient path.</summary>
public sealed class DirectTransportFailureTests
{
    private static readonly RpcClientStreamingTransport[] Both = [RpcClientStreamingTransport.HttpClient, RpcClientStreamingTransport.DirectHttp2];

    public static TheoryData<int> FailAfter => [0, 2];

    /// <summary>The server fails after reading <paramref name="failAfter"/> messages (0: before any, a Trailers-Only answer).</summary>
    [Theory]
    [MemberData(nameof(FailAfter))]
    public async Task ServerError_SameStatusMessageAndTrailersAsHttpClientPath(int failAfter)
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) =>
            {
                for (var i = 0; i < failAfter; i++)
                {
                    Assert.True(await requests.MoveNext(context.CancellationToken));
                }

                context.ResponseTrailers.Add("x-reason", "checksum");
                throw new RpcException(new Status(StatusCode.DataLoss, "chunk 3: XXH64 differs — résumé from 2"));
            })
            .Build();
        await using var host = await DirectHost.StartAsync(service);
        var seen = new List<(Status Status, string? Trailer)>();
        foreach (var transport in Both)
        {
            using var channel = host.Channel(transport);
            using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
            try
            {
                for (var i = 0; i < 50; i++)
                {
                    await call.RequestStream.WriteAsync(EchoMethods.Payload(64 * 1024)).WaitBounded();
                }
            }
            catch (RpcException)
            {
                // The server ended the call; ResponseAsync has its status.
            }

            var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
            seen.Add((e.Status, e.Trailers.GetValue("x-reason")));
        }

        Assert.Equal(StatusCode.DataLoss, seen[0].Status.StatusCode);
        Assert.Equal("chunk 3: XXH64 differs — résumé from 2", seen[0].Status.Detail);
        Assert.Equal(seen[0], seen[1]);
    }

    [Fact]
    public async Task ServerAbortsTheStream_InternalNamingTheResetCode()
    {
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) =>
            {
                Assert.True(await requests.MoveNext(context.CancellationToken));
                context.GetHttpContext().Abort(); // RST_STREAM(INTERNAL_ERROR) from Kestrel
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
                return new EchoMessage();
            })
            .Build();
        await using var host = await DirectHost.StartAsync(service);
        var statuses = new List<Status>();
        foreach (var transport in Both)
        {
            using var channel = host.Channel(transport);
            using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
            await call.RequestStream.WriteAsync(EchoMethods.Payload(100)).WaitBounded();
            statuses.Add((await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded())).Status);
        }

        // The direct transport maps the reset's error code as gRPC's HTTP/2 mapping says (INTERNAL_ERROR → INTERNAL,
        // the HttpClient path's wording); HttpClient itself reports the reset of a request still uploading as its own
        // cancellation. Either way the call fails and KvPushClient resumes (both codes are resumable there).
        Assert.NotEqual(StatusCode.OK, statuses[0].StatusCode);
        Assert.Equal(new Status(StatusCode.Internal, "HTTP/2 stream error: The HTTP/2 server reset the stream. HTTP/2 error code 'INTERNAL_ERROR' (0x2)."), statuses[1]);
    }

    [Fact]
    public async Task UnknownMethod_UnimplementedLikeHttpClientPath()
    {
        await using var host = await DirectHost.StartAsync(ServerServiceDefinition.CreateBuilder().Build());
        var statuses = new List<Status>();
        foreach (var transport in Both)
        {
            using var channel = host.Channel(transport);
            using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
            statuses.Add((await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded())).Status);
        }

        Assert.Equal(StatusCode.Unimplemented, statuses[0].StatusCode);
        Assert.Equal(statuses[0], statuses[1]);
    }

    [Fact]
    public async Task Cancellation_ResetsTheStream_ServerHandlerSeesIt()
    {
        var received = Bounded.NewSignal();
        var serverCancelled = Bounded.NewSignal<bool>();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) =>
            {
                context.CancellationToken.Register(() => serverCancelled.TrySetResult(true));
                Assert.True(await requests.MoveNext(context.CancellationToken));
                received.TrySetResult();
                try
                {
                    var more = await requests.MoveNext(context.CancellationToken);
                    serverCancelled.TrySetResult(false); // a clean end of stream would be a bug
                    return new EchoMessage { Text = "ended: " + more };
                }
                catch (Exception) when (context.CancellationToken.IsCancellationRequested)
                {
                    throw;
                }
            })
            .Build();
        await using var host = await DirectHost.StartAsync(service);
        using var channel = host.Channel(RpcClientStreamingTransport.DirectHttp2);
        using var cts = new CancellationTokenSource();
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions(cancellationToken: cts.Token));
        await call.RequestStream.WriteAsync(EchoMethods.Payload(1000)).WaitBounded();
        await received.Task.WaitBounded();

        await cts.CancelAsync();

        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        Assert.Equal("Call canceled by the client.", e.Status.Detail);
        Assert.True(await serverCancelled.Task.WaitBounded());
        await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(EchoMethods.Payload(1)));
    }

    [Fact]
    public async Task Deadline_ExpiresWhileWaiting_DeadlineExceededAndServerCancelled()
    {
        var serverCancelled = Bounded.NewSignal();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) =>
            {
                context.CancellationToken.Register(() => serverCancelled.TrySetResult());
                while (await requests.MoveNext(context.CancellationToken))
                {
                }

                return new EchoMessage();
            })
            .Build();
        await using var host = await DirectHost.StartAsync(service);
        using var channel = host.Channel(RpcClientStreamingTransport.DirectHttp2);
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300)));
        await call.RequestStream.WriteAsync(EchoMethods.Payload(10)).WaitBounded();

        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        await serverCancelled.Task.WaitBounded();
    }

    [Fact]
    public async Task Dispose_BeforeCompleting_ServerNeverSeesACleanEnd()
    {
        var outcome = Bounded.NewSignal<string>();
        var service = ServerServiceDefinition.CreateBuilder()
            .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) =>
            {
                try
                {
                    while (await requests.MoveNext(context.CancellationToken))
                    {
                    }

                    outcome.TrySetResult("clean end");
                }
                catch (Exception ex)
                {
                    outcome.TrySetResult("aborted: " + ex.GetType().Name);
                }

                return new EchoMessage();
            })
            .Build();
        await using var host = await DirectHost.StartAsync(service);
        using var channel = host.Channel(RpcClientStreamingTransport.DirectHttp2);
        var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
        await call.RequestStream.WriteAsync(EchoMethods.Payload(70_000)).WaitBounded();
        call.Dispose();

        Assert.StartsWith("aborted", await outcome.Task.WaitBounded(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.Cancelled, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task NothingListening_Unavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // the port is now closed
        using var channel = RpcChannel.ForAddress($"http://127.0.0.1:{port}", new RpcChannelOptions { ClientStreamingTransport = RpcClientStreamingTransport.DirectHttp2 });
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.StartsWith("Error connecting to the server", e.Status.Detail, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(EchoMethods.Payload(1)));
    }

    [Fact]
    public async Task ServerThatIsNotHttp2_ClosesAfterThePreface_Unavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[64];
            _ = await socket.ReceiveAsync(buffer);
            await socket.SendAsync("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"u8.ToArray());
        });
        using var channel = RpcChannel.ForAddress($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", new RpcChannelOptions { ClientStreamingTransport = RpcClientStreamingTransport.DirectHttp2 });
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        await server.WaitBounded();
        Assert.True(e.StatusCode is StatusCode.Unavailable or StatusCode.Internal, e.Status.ToString());
    }
}
