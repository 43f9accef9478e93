using System.Buffers;

namespace Cluster.Rpc.Internal;

/// <summary>Gives a received payload to a marshaller without copying it.</summary>
internal sealed class SequenceDeserializationContext(ReadOnlySequence<byte> payload) : DeserializationContext
{
    public override int PayloadLength => (int)payload.Length;

    public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => payload;
}
