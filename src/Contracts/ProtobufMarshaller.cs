using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Cluster.Contracts;

/// <summary>
/// Marshallers for protobuf messages that write straight into the transport's buffer (no extra copy), for hosts that
/// bind a method with their own <see cref="Method{TRequest,TResponse}"/> (a custom <c>[BindServiceMethod]</c>).
/// </summary>
public static class ProtobufMarshaller
{
    /// <summary>A marshaller for messages of type <typeparamref name="T"/>; a payload that does not parse is INVALID_ARGUMENT.</summary>
    public static Marshaller<T> For<T>(MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        return Marshallers.Create<T>(Serialize, context => Parse(parser, context.PayloadAsReadOnlySequence()));
    }

    /// <summary>
    /// As <see cref="For{T}"/>, but parsing refuses a string field that is not UTF-8 (<see cref="Utf8FieldCheck"/>) with
    /// INVALID_ARGUMENT naming the field: for client-facing requests, whose text must not silently change.
    /// </summary>
    public static Marshaller<T> ForUtf8Checked<T>(MessageParser<T> parser, MessageDescriptor descriptor)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        ArgumentNullException.ThrowIfNull(descriptor);
        return Marshallers.Create<T>(
            Serialize,
            context =>
            {
                var payload = context.PayloadAsReadOnlySequence();
                try
                {
                    Utf8FieldCheck.Check(payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray(), descriptor);
                }
                catch (Exception e) when (e is InvalidDataException or InvalidProtocolBufferException)
                {
                    throw Unparsable(e);
                }

                return Parse(parser, payload);
            });
    }

    /// <summary>Writes <paramref name="message"/> into the context's buffer writer (length first, no copy).</summary>
    public static void Serialize<T>(T message, SerializationContext context)
        where T : IMessage<T>
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    private static T Parse<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Unparsable(e);
        }
    }

    private static RpcException Unparsable(Exception e) =>
        new(new Status(StatusCode.InvalidArgument, $"The request message cannot be parsed: {e.Message}"));
}
