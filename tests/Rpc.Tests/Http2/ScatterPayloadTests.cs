using System.Security.Cryptography;
using Cluster.Rpc.Client.Http2;
using Cluster.Rpc.Tests.Infrastructure;

namespace Cluster.Rpc.Tests.Http2;

/// <summary>
/// Messages written as a <see cref="ScatterPayload"/> (inline pieces and pieces sent from the caller's memory) over the
/// direct transport to a real Kestrel: the server reads exactly the message bytes, whatever the frame size.
/// </summary>
public sealed class ScatterPayloadTests
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create<byte[]>((m, c) => c.Complete(m), c => c.PayloadAsNewBuffer());

    // Its own marshaller instance: the scatter serializer registered for it affects this method only.
    private static readonly Method<byte[], byte[]> Upload = new(MethodType.ClientStreaming, "test.Scatter", "Upload",
        Marshallers.Create<byte[]>((m, c) => c.Complete(m), c => c.PayloadAsNewBuffer()), Raw);

    private static int s_scattered;

    static ScatterPayloadTests() => ScatterSerializers.Register(Upload.RequestMarshaller, Scatter);

    // Inline head, a large piece by reference, a 100-byte piece by reference, an inline piece, the rest by reference.
    private static bool Scatter(byte[] message, ScatterPayload payload)
    {
        if (message.Length < 1000)
        {
            return false;
        }

        var cuts = new[] { 0, 37, message.Length / 2, message.Length / 2 + 100, message.Length / 2 + 300, message.Length };
        for (var i = 0; i + 1 < cuts.Length; i++)
        {
            var piece = message.AsMemory(cuts[i], cuts[i + 1] - cuts[i]);
            if (i is 0 or 3)
            {
                piece.Span.CopyTo(payload.Inline.GetSpan(piece.Length));
                payload.Inline.Advance(piece.Length);
            }
            else
            {
                payload.AppendExternal(piece);
            }
        }

        Interlocked.Increment(ref s_scattered);
        return true;
    }

    private static ServerServiceDefinition HashingService() => ServerServiceDefinition.CreateBuilder()
        .AddMethod(Upload, async (IAsyncStreamReader<byte[]> requests, ServerCallContext context) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            while (await requests.MoveNext(context.CancellationToken))
            {
                hash.AppendData(BitConverter.GetBytes(requests.Current.Length));
                hash.AppendData(requests.Current);
            }

            return hash.GetHashAndReset();
        })
        .Build();

    [Theory]
    [InlineData(16 * 1024)]
    [InlineData(RpcKestrelExtensions.DefaultMaxFrameSize)]
    public async Task ScatteredMessages_AnyFrameSize_ArriveBitExact(int maxFrameSize)
    {
        await using var host = await DirectHost.StartAsync(HashingService(), maxFrameSize: maxFrameSize);
        using var channel = host.Channel(RpcClientStreamingTransport.DirectHttp2);
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var before = Volatile.Read(ref s_scattered);
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(Upload, null, new CallOptions());
        foreach (var size in new[] { 1000, 5, 16 * 1024 + 1, (1 << 20) - 5, (1 << 20) + 200, 3 * (1 << 20) + 17 })
        {
            var bytes = new byte[size];
            new Random(size).NextBytes(bytes);
            expected.AppendData(BitConverter.GetBytes(size));
            expected.AppendData(bytes);
            await call.RequestStream.WriteAsync(bytes).WaitBounded();
        }

        await call.RequestStream.CompleteAsync().WaitBounded();
        Assert.Equal(expected.GetHashAndReset(), await call.ResponseAsync.WaitBounded());
        Assert.True(Volatile.Read(ref s_scattered) - before >= 5); // all but the 5-byte message went as pieces
    }

    [Fact]
    public void Build_OverMaxSize_ResourceExhausted()
    {
        using var payload = new ScatterPayload();
        payload.AppendExternal(new byte[1000]);

        var e = Assert.Throws<RpcException>(() => payload.Build(maxSize: 999));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("1000 > 999", e.Status.Detail, StringComparison.Ordinal);
    }
}
