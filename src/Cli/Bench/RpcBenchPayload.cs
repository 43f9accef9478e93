using Grpc.Core;

namespace Cluster.Cli.Bench;

/// <summary>
/// A bench message: bytes to send, or on receipt only their length. The serializer writes the bytes straight
/// into the transport's buffer (as protobuf's WriteTo does); the deserializer reads none of them, so the
/// figures measure the transport, not a parser.
/// </summary>
internal sealed class RpcBenchPayload(ReadOnlyMemory<byte> data, int length)
{
    public ReadOnlyMemory<byte> Data { get; } = data;

    public int Length { get; } = length;

    public static readonly Marshaller<RpcBenchPayload> Marshaller = Marshallers.Create<RpcBenchPayload>(
        (payload, context) =>
        {
            context.SetPayloadLength(payload.Data.Length);
            var writer = context.GetBufferWriter();
            var remaining = payload.Data.Span;
            while (!remaining.IsEmpty)
            {
                var span = writer.GetSpan(Math.Min(remaining.Length, 256 * 1024));
                var n = Math.Min(span.Length, remaining.Length);
                remaining[..n].CopyTo(span);
                writer.Advance(n);
                remaining = remaining[n..];
            }

            context.Complete();
        },
        context => context.PayloadLength <= SmallMessage
            ? new RpcBenchPayload(context.PayloadAsNewBuffer(), context.PayloadLength)
            : new RpcBenchPayload(ReadOnlyMemory<byte>.Empty, context.PayloadLength));

    /// <summary>Messages up to this size are kept on receipt (control messages); bigger ones are counted only.</summary>
    public const int SmallMessage = 64;

    public static readonly Method<RpcBenchPayload, RpcBenchPayload> Upload =
        new(MethodType.ClientStreaming, "bench.Rpc", "Upload", Marshaller, Marshaller);

    public static readonly Method<RpcBenchPayload, RpcBenchPayload> Download =
        new(MethodType.ServerStreaming, "bench.Rpc", "Download", Marshaller, Marshaller);
}
