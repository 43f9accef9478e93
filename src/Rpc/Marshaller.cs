namespace Cluster.Rpc;

/// <summary>Turns messages of type <typeparamref name="T"/> into bytes and back.</summary>
public sealed class Marshaller<T>
{
    /// <summary>A marshaller from contextual functions (write into a buffer writer, read from a sequence).</summary>
    public Marshaller(Action<T, SerializationContext> contextualSerializer, Func<DeserializationContext, T> contextualDeserializer)
    {
        ArgumentNullException.ThrowIfNull(contextualSerializer);
        ArgumentNullException.ThrowIfNull(contextualDeserializer);
        ContextualSerializer = contextualSerializer;
        ContextualDeserializer = contextualDeserializer;
    }

    /// <summary>A marshaller from simple byte-array functions.</summary>
    public Marshaller(Func<T, byte[]> serializer, Func<byte[], T> deserializer)
        : this(
            (message, context) => context.Complete(serializer(message)),
            context => deserializer(context.PayloadAsNewBuffer()))
    {
        ArgumentNullException.ThrowIfNull(serializer);
        ArgumentNullException.ThrowIfNull(deserializer);
    }

    /// <summary>Writes a message into a serialization context.</summary>
    public Action<T, SerializationContext> ContextualSerializer { get; }

    /// <summary>Reads a message from a deserialization context.</summary>
    public Func<DeserializationContext, T> ContextualDeserializer { get; }
}
