using System.Buffers;
using System.IO.Compression;

namespace Cluster.Rpc.Internal;

/// <summary>gzip message compression (grpc-encoding: gzip).</summary>
internal static class GzipCodec
{
    public static void Compress(ReadOnlySpan<byte> payload, PooledBufferWriter output)
    {
        using var stream = new BufferWriterStream(output);
        using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(payload);
        }
    }

    /// <summary>Decompresses into a pooled buffer; throws RESOURCE_EXHAUSTED past <paramref name="maxSize"/>.</summary>
    public static PooledBufferWriter Decompress(ReadOnlySequence<byte> payload, int? maxSize)
    {
        var output = new PooledBufferWriter((int)Math.Min(payload.Length * 4 + 1024, 1 << 20));
        try
        {
            using var input = new SequenceStream(payload);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            while (true)
            {
                var span = output.GetSpan(16 * 1024);
                int read;
                try
                {
                    read = gzip.Read(span);
                }
                catch (InvalidDataException ex)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "Failed to decompress message: " + ex.Message));
                }

                if (read == 0)
                {
                    return output;
                }

                output.Advance(read);
                if (output.WrittenCount > maxSize)
                {
                    throw new RpcException(new Status(
                        StatusCode.ResourceExhausted,
                        $"Received message exceeds the maximum configured message size ({maxSize} bytes) after decompression."));
                }
            }
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }
}
