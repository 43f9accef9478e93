using Cluster.Rpc;
using Google.Protobuf;

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
}
