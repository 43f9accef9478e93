using System.Buffers;

namespace Cluster.Rpc;

/// <summary>
/// Where a marshaller writes one message. Either call <see cref="Complete(byte[])"/> with the whole payload, or
/// optionally <see cref="SetPayloadLength"/>, write through <see cref="GetBufferWriter"/> and call
/// <see cref="Complete()"/>. Knowing the length up front lets the transport write straight into its output
/// buffer without another copy.
/// </summary>
public abstract class SerializationContext
{
    /// <summary>Completes serialization with the whole payload.</summary>
    public virtual void Complete(byte[] payload) => throw new NotSupportedException();

    /// <summary>A buffer writer to write the payload into; call <see cref="Complete()"/> when done.</summary>
    public virtual IBufferWriter<byte> GetBufferWriter() => throw new NotSupportedException();

    /// <summary>Announces the payload length before writing through <see cref="GetBufferWriter"/>.</summary>
    public virtual void SetPayloadLength(int payloadLength)
    {
    }

    /// <summary>Completes serialization done through <see cref="GetBufferWriter"/>.</summary>
    public virtual void Complete() => throw new NotSupportedException();
}
