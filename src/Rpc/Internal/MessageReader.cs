using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Cluster.Rpc.Internal;

/// <summary>Reads gRPC length-prefixed messages from a pipe, deserializing straight from its buffers.</summary>
internal static class MessageReader
{
    /// <summary>Reads the next message; (false, default) at a clean end of stream.</summary>
    public static async ValueTask<(bool HasMessage, T Message)> ReadAsync<T>(
        PipeReader reader,
        Func<DeserializationContext, T> deserializer,
        int? maxSize,
        string? encoding,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                reader.AdvanceTo(buffer.Start);
                throw new OperationCanceledException(cancellationToken);
            }

            if (TryParseHeader(buffer, maxSize, encoding, out var compressed, out var length)
                && buffer.Length >= GrpcProtocol.HeaderSize + length)
            {
                var payload = buffer.Slice(GrpcProtocol.HeaderSize, length);
                T message;
                try
                {
                    message = Deserialize(payload, compressed, deserializer, maxSize);
                }
                finally
                {
                    reader.AdvanceTo(payload.End);
                }

                return (true, message);
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                if (buffer.IsEmpty)
                {
                    return (false, default!);
                }

                throw new RpcException(new Status(StatusCode.Internal, "Incomplete message: the stream ended inside a message frame."));
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryParseHeader(ReadOnlySequence<byte> buffer, int? maxSize, string? encoding, out bool compressed, out int length)
    {
        compressed = false;
        length = 0;
        if (buffer.Length < GrpcProtocol.HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[GrpcProtocol.HeaderSize];
        buffer.Slice(0, GrpcProtocol.HeaderSize).CopyTo(header);
        compressed = header[0] switch
        {
            0 => false,
            1 when encoding is not null && encoding != GrpcProtocol.Identity => true,
            1 => throw new RpcException(new Status(StatusCode.Internal, "Message has the compressed flag but no grpc-encoding was given.")),
            _ => throw new RpcException(new Status(StatusCode.Internal, $"Invalid compressed flag {header[0]} in message frame.")),
        };
        var declared = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (declared > int.MaxValue || declared > maxSize)
        {
            throw new RpcException(new Status(
                StatusCode.ResourceExhausted,
                $"Received message exceeds the maximum configured message size ({declared} > {maxSize} bytes)."));
        }

        length = (int)declared;
        return true;
    }

    private static T Deserialize<T>(ReadOnlySequence<byte> payload, bool compressed, Func<DeserializationContext, T> deserializer, int? maxSize)
    {
        if (!compressed)
        {
            return Run(deserializer, payload);
        }

        using var decompressed = GzipCodec.Decompress(payload, maxSize);
        return Run(deserializer, new ReadOnlySequence<byte>(decompressed.WrittenMemory));
    }

    private static T Run<T>(Func<DeserializationContext, T> deserializer, ReadOnlySequence<byte> payload)
    {
        try
        {
            return deserializer(new SequenceDeserializationContext(payload));
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Failed to deserialize message: {ex.GetType().Name}: {ex.Message}"));
        }
    }
}
