using Grpc.Core;
using Google.Protobuf;

namespace Cluster.Hosting.Tests.Interop;

/// <summary>The interop.Echo methods with protobuf marshallers written the way Contracts writes them.</summary>
internal static class EchoMethods
{
    public const string ServiceName = "interop.Echo";

    public static readonly Marshaller<EchoMessage> Marshaller = Marshallers.Create<EchoMessage>(
        (message, context) =>
        {
            context.SetPayloadLength(message.CalculateSize());
            message.WriteTo(context.GetBufferWriter());
            context.Complete();
        },
        context => EchoMessage.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    public static readonly Method<EchoMessage, EchoMessage> Unary = new(MethodType.Unary, ServiceName, "Unary", Marshaller, Marshaller);
    public static readonly Method<EchoMessage, EchoMessage> ServerStream = new(MethodType.ServerStreaming, ServiceName, "ServerStream", Marshaller, Marshaller);
    public static readonly Method<EchoMessage, EchoMessage> ClientStream = new(MethodType.ClientStreaming, ServiceName, "ClientStream", Marshaller, Marshaller);
    public static readonly Method<EchoMessage, EchoMessage> Duplex = new(MethodType.DuplexStreaming, ServiceName, "Duplex", Marshaller, Marshaller);

    public static EchoMessage Text(string text) => new() { Text = text };

    public static EchoMessage Payload(int size, byte fill = 7) => new() { Payload = ByteString.CopyFrom(Enumerable.Repeat(fill, size).ToArray()) };
}
