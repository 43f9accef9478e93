namespace Cluster.Rpc;

/// <summary>Factories for <see cref="Marshaller{T}"/>.</summary>
public static class Marshallers
{
    /// <summary>A marshaller from byte-array functions.</summary>
    public static Marshaller<T> Create<T>(Func<T, byte[]> serializer, Func<byte[], T> deserializer) =>
        new(serializer, deserializer);

    /// <summary>A marshaller from contextual functions.</summary>
    public static Marshaller<T> Create<T>(Action<T, SerializationContext> serializer, Func<DeserializationContext, T> deserializer) =>
        new(serializer, deserializer);

    /// <summary>Passes byte arrays through unchanged.</summary>
    public static Marshaller<byte[]> ByteArrayMarshaller { get; } = new(static b => b, static b => b);
}
