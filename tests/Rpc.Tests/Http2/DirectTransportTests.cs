using System.Security.Cryptography;
using Cluster.Rpc.Tests.Infrastructure;
using Cluster.Rpc.Tests.Interop;
using Google.Protobuf;

namespace Cluster.Rpc.Tests.Http2;

/// <summary>Client-streaming calls over the direct HTTP/2 transport against a real Kestrel, next to the HttpClient path.</summary>
public sealed class DirectTransportTests
{
    public static TheoryData<RpcClientStreamingTransport> Transports => [RpcClientStreamingTransport.HttpClient, RpcClientStreamingTransport.DirectHttp2];

    // Sizes around the frame size (1 MiB), the 16 KiB default, and an empty message.
    private static readonly int[] Sizes = [0, 1, 16 * 1024, 1024 * 1024 - 5, 1024 * 1024 + 3, 3 * 1024 * 1024 + 17, 100];

    private static ServerServiceDefinition HashingService(Action<ServerCallContext>? onCall = null) => ServerServiceDefinition.CreateBuilder()
        .AddMethod(EchoMethods.ClientStream, async (IAsyncStreamReader<EchoMessage> requests, ServerCallContext context) =>
        {
            onCall?.Invoke(context);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var count = 0;
            while (await requests.MoveNext(context.CancellationToken))
            {
                hash.AppendData(requests.Current.Payload.Span);
                count++;
            }

            await context.WriteResponseHeadersAsync(new Metadata { { "x-count", count.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
            context.ResponseTrailers.Add("x-trailer", "done");
            context.ResponseTrailers.Add("x-echo-bin", new byte[] { 0, 1, 2, 255 });
            return new EchoMessage { Payload = ByteString.CopyFrom(hash.GetHashAndReset()), Text = context.RequestHeaders.GetValue("x-call") + "|" + context.RequestHeaders.GetValue("authorization") };
        })
        .Build();

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ClientStreaming_MessagesAroundFrameSizes_ArriveBitExactWithMetadata(RpcClientStreamingTransport transport)
    {
        await using var host = await DirectHost.StartAsync(HashingService());
        using var channel = host.Channel(transport, o => o.DefaultHeaders = new Metadata { { "authorization", "Bearer s3cret" } });
        var invoker = channel.CreateCallInvoker();
        for (var round = 0; round < 2; round++) // the second call reuses the connection and its HPACK dynamic table
        {
            using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var call = invoker.AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions(new Metadata { { "x-call", "round" + round } }));
            foreach (var (size, i) in Sizes.Select((s, i) => (s, i)))
            {
                var bytes = new byte[size];
                new Random(size + i + round).NextBytes(bytes);
                expected.AppendData(bytes);
                await call.RequestStream.WriteAsync(new EchoMessage { Payload = ByteString.CopyFrom(bytes) }).WaitBounded();
            }

            await call.RequestStream.CompleteAsync().WaitBounded();
            var response = await call.ResponseAsync.WaitBounded();
            Assert.Equal(expected.GetHashAndReset(), response.Payload.ToByteArray());
            Assert.Equal($"round{round}|Bearer s3cret", response.Text);
            Assert.Equal(Sizes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), (await call.ResponseHeadersAsync).GetValue("x-count"));
            Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
            Assert.Equal("done", call.GetTrailers().GetValue("x-trailer"));
            Assert.Equal(new byte[] { 0, 1, 2, 255 }, call.GetTrailers().GetValueBytes("x-echo-bin"));
        }
    }

    [Fact]
    public async Task ClientStreaming_SmallServerWindowsAndFrames_StillBitExact()
    {
        // Kestrel's smallest windows (65,535) and frames (16 KiB): the client must wait for WINDOW_UPDATEs many times.
        await using var host = await DirectHost.StartAsync(HashingService(), streamWindow: 65_535, connectionWindow: 65_535, maxFrameSize: 16 * 1024);
        using var channel = host.Channel(RpcClientStreamingTransport.DirectHttp2);
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
        for (var i = 0; i < 6; i++)
        {
            var bytes = new byte[700 * 1024 + i];
            new Random(i).NextBytes(bytes);
            expected.AppendData(bytes);
            await call.RequestStream.WriteAsync(new EchoMessage { Payload = ByteString.CopyFrom(bytes) }).WaitBounded();
        }

        await call.RequestStream.CompleteAsync().WaitBounded();
        Assert.Equal(expected.GetHashAndReset(), (await call.ResponseAsync.WaitBounded()).Payload.ToByteArray());
    }

    [Fact]
    public async Task ClientStreaming_ConcurrentCallsOnOneConnection_EachBitExact()
    {
        await using var host = await DirectHost.StartAsync(HashingService(), streamWindow: 256 * 1024, connectionWindow: 512 * 1024);
        using var channel = host.Channel(RpcClientStreamingTransport.DirectHttp2);
        var invoker = channel.CreateCallInvoker();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(async c =>
        {
            using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var call = invoker.AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
            for (var i = 0; i < 4; i++)
            {
                var bytes = new byte[300 * 1024 + c];
                new Random(c * 10 + i).NextBytes(bytes);
                expected.AppendData(bytes);
                await call.RequestStream.WriteAsync(new EchoMessage { Payload = ByteString.CopyFrom(bytes) });
            }

            await call.RequestStream.CompleteAsync();
            return (Expected: expected.GetHashAndReset(), Actual: (await call.ResponseAsync).Payload.ToByteArray());
        })).WaitBounded();
        Assert.All(results, r => Assert.Equal(r.Expected, r.Actual));
    }

    [Fact]
    public async Task ClientStreaming_OverTlsToLargeBlockKestrel_NegotiatesH2AndArrives()
    {
        using var certificate = TestCertificates.SelfSigned();
        await using var host = await DirectHost.StartAsync(HashingService(), certificate: certificate, largeReceiveBuffers: true);
        using var channel = host.Channel(RpcClientStreamingTransport.DirectHttp2, o =>
            o.ServerCertificateValidation = (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString());
        Assert.Equal(Uri.UriSchemeHttps, channel.Address.Scheme);
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
        var bytes = new byte[2 * 1024 * 1024 + 1];
        new Random(5).NextBytes(bytes);
        await call.RequestStream.WriteAsync(new EchoMessage { Payload = ByteString.CopyFrom(bytes) }).WaitBounded();
        await call.RequestStream.CompleteAsync();
        Assert.Equal(SHA256.HashData(bytes), (await call.ResponseAsync.WaitBounded()).Payload.ToByteArray());
    }

    [Fact]
    public async Task ClientStreaming_UntrustedCertificate_Unavailable()
    {
        using var certificate = TestCertificates.SelfSigned();
        await using var host = await DirectHost.StartAsync(HashingService(), certificate: certificate);
        using var channel = host.Channel(RpcClientStreamingTransport.DirectHttp2);
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(EchoMethods.ClientStream, null, new CallOptions());
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitBounded());
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("TLS", e.Status.Detail, StringComparison.Ordinal);
    }
}
