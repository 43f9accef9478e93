using System.Buffers;
using System.Text;

namespace Cluster.Rpc.Client.Http2;

/// <summary>
/// HPACK encoding of request headers as literal fields without indexing and without Huffman coding (RFC 7541
/// §6.2.2): no encoder state, so nothing to keep in step with the peer's SETTINGS_HEADER_TABLE_SIZE.
/// </summary>
internal static class HpackEncoder
{
    /// <summary>Appends one field: the literal-without-indexing representation with a literal name.</summary>
    public static void WriteLiteral(IBufferWriter<byte> output, string name, string value)
    {
        var header = output.GetSpan(1);
        header[0] = 0x00;
        output.Advance(1);
        WriteString(output, name);
        WriteString(output, value);
    }

    /// <summary>Appends an integer with an N-bit prefix; <paramref name="flags"/> fills the first octet's high bits.</summary>
    public static void WriteInteger(IBufferWriter<byte> output, int value, int prefixBits, byte flags = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        var span = output.GetSpan(6);
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            span[0] = (byte)(flags | value);
            output.Advance(1);
            return;
        }

        span[0] = (byte)(flags | max);
        var n = 1;
        value -= max;
        while (value >= 0x80)
        {
            span[n++] = (byte)((value & 0x7f) | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        output.Advance(n);
    }

    private static void WriteString(IBufferWriter<byte> output, string text)
    {
        foreach (var c in text)
        {
            if (c > 0xff)
            {
                throw new ArgumentException($"Header text '{text}' has a character outside Latin-1; gRPC metadata values must be ASCII (use a -bin key for bytes).");
            }
        }

        WriteInteger(output, text.Length, 7);
        var span = output.GetSpan(text.Length);
        Encoding.Latin1.GetBytes(text, span);
        output.Advance(text.Length);
    }
}
