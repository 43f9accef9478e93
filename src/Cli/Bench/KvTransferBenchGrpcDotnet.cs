using Cluster.Contracts.V1;
using Cluster.Core.Kv;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using XxHash64 = Cluster.Core.Hashing.XxHash64;

namespace Cluster.Cli.Bench;

/// <summary>
/// The <c>grpc-dotnet</c> path of <c>cluster bench kv-transfer</c>: the same Push stream (header, then chunk frames with
/// XXH64) sent through Grpc.Net.Client's client-streaming call on a <see cref="GrpcChannel"/>, to the same server, so
/// the bench compares the stock client with our transports in one run (issue 13's ≥ 1.5× rule for keeping the direct one).
/// </summary>
internal sealed class KvTransferBenchGrpcDotnet : IDisposable
{
    private static readonly Method<KvFrame, PushResult> PushMethod = new(
        MethodType.ClientStreaming, "cluster.v1.KvTransfer", "Push", Protobuf(KvFrame.Parser), Protobuf(PushResult.Parser));

    private readonly GrpcChannel[] _channels;
    private int _next;

    /// <summary>
    /// <paramref name="connections"/> channels (one HTTP/2 connection each), used round-robin by the pushes: the same
    /// spread as the direct path's <c>KvTransfer:PushConnections</c>.
    /// </summary>
    public KvTransferBenchGrpcDotnet(string address, int connections)
    {
        _channels = [.. Enumerable.Range(0, Math.Max(1, connections)).Select(_ => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxSendMessageSize = 8 * 1024 * 1024,
            HttpHandler = new SocketsHttpHandler(),
        }))];
    }

    /// <summary>Pushes the chunks of one reservation; returns the receiver's account.</summary>
    public async Task<PushResult> PushAsync(KvPushRequest request, CancellationToken cancellationToken)
    {
        var channel = _channels[(int)((uint)Interlocked.Increment(ref _next) % (uint)_channels.Length)];
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(PushMethod, null, new CallOptions(cancellationToken: cancellationToken));
        await call.RequestStream.WriteAsync(new KvFrame
        {
            Header = new KvHeader { Ticket = request.Ticket, Model = request.Model, Layout = request.Layout.ToProto(), TokenCount = (uint)request.Tokens },
        }, cancellationToken);
        uint sequence = 0;
        await foreach (var chunk in request.Source(0, cancellationToken).WithCancellation(cancellationToken))
        {
            await call.RequestStream.WriteAsync(new KvFrame
            {
                Chunk = new KvChunk
                {
                    Sequence = sequence++,
                    LayerStart = (uint)chunk.Range.LayerStart,
                    LayerCount = (uint)chunk.Range.LayerCount,
                    BlockStart = (uint)chunk.Range.BlockStart,
                    BlockCount = (uint)chunk.Range.BlockCount,
                    Data = UnsafeByteOperations.UnsafeWrap(chunk.Data),
                    Xxh64 = XxHash64.Hash(chunk.Data.Span),
                },
            }, cancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
    }

    public void Dispose()
    {
        foreach (var channel in _channels) { channel.Dispose(); }
    }

    private static Marshaller<T> Protobuf<T>(MessageParser<T> parser)
        where T : IMessage<T> => Marshallers.Create<T>(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
