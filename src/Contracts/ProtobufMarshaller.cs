using Cluster.Rpc;
using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Cluster.Contracts;

/// <summary>Marshallers for protobuf messages that write straight into the transport's buffer (no extra copy).</summary>
public static class ProtobufMarshaller
{
    /// <summary>A marshaller for messages of type <typeparamref name="T"/>.</summary>
    public static Marshaller<T> For<T>(MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        return Marshallers.Create<T>(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
    }

    /// <summary>
    /// As <see cref="For{T}"/>, but parsing refuses a string field that is not UTF-8 (<see cref="Utf8FieldCheck"/>):
    /// for client-facing requests, whose text must not silently change.
    /// </summary>
    public static Marshaller<T> ForUtf8Checked<T>(MessageParser<T> parser, MessageDescriptor descriptor)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(descriptor);
        var plain = For(parser);
        return Marshallers.Create<T>(
            plain.ContextualSerializer,
            context =>
            {
                var payload = context.PayloadAsReadOnlySequence();
                Utf8FieldCheck.Check(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray(), descriptor);
                return parser.ParseFrom(payload);
            });
    }
}
