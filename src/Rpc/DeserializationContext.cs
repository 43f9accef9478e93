using System.Buffers;

namespace Cluster.Rpc;

/// <summary>One received message payload, valid only during the deserializer call.</summary>
public abstract class DeserializationContext
{
    /// <summary>Length of the payload in bytes.</summary>
    public abstract int PayloadLength { get; }

    /// <summary>The payload copied into a new array.</summary>
    public virtual byte[] PayloadAsNewBuffer() => PayloadAsReadOnlySequence().ToArray();

    /// <summary>The payload without copying; do not keep it past the deserializer call.</summary>
    public abstract ReadOnlySequence<byte> PayloadAsReadOnlySequence();
}
