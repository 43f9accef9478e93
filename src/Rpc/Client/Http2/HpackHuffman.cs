namespace Cluster.Rpc.Client.Http2;

/// <summary>
/// The HPACK Huffman code (RFC 7541 Appendix B). The code is canonical, so it is fully described by each symbol's
/// code length (symbols 0–255 and EOS = 256); codes are assigned in order of length, then symbol.
/// </summary>
internal static class HpackHuffman
{
    private const int Eos = 256;

    private static ReadOnlySpan<byte> CodeLengths =>
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    // Binary decoding tree: node n has children at [2n] (bit 0) and [2n + 1] (bit 1); a value < 0 is the leaf of
    // symbol ~value, 0 an absent child (the root is node 0 and is never a child).
    private static readonly int[] Tree = BuildTree();

    /// <summary>(code, length) of every symbol, codes right-aligned.</summary>
    public static (uint Code, int Length)[] Codes { get; } = BuildCodes();

    /// <summary>Decodes a Huffman-coded string; throws <see cref="HpackException"/> on EOS, bad padding or an unused code.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> source)
    {
        var output = new List<byte>(source.Length * 8 / 5 + 1);
        var node = 0;
        var bitsSinceSymbol = 0;
        var allOnes = true;
        foreach (var octet in source)
        {
            for (var shift = 7; shift >= 0; shift--)
            {
                var bit = (octet >> shift) & 1;
                var next = Tree[2 * node + bit];
                bitsSinceSymbol++;
                allOnes &= bit == 1;
                if (next == 0)
                {
                    throw new HpackException("Invalid Huffman code in a header string.");
                }

                if (next > 0)
                {
                    node = next;
                    continue;
                }

                var symbol = ~next;
                if (symbol == Eos)
                {
                    throw new HpackException("A Huffman-coded header string contains EOS.");
                }

                output.Add((byte)symbol);
                node = 0;
                bitsSinceSymbol = 0;
                allOnes = true;
            }
        }

        if (bitsSinceSymbol > 7 || !allOnes)
        {
            throw new HpackException("Invalid Huffman padding in a header string (more than 7 bits, or not the EOS prefix).");
        }

        return [.. output];
    }

    /// <summary>Encodes octets with the Huffman code (used by tests; requests are sent as raw literals).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> source)
    {
        var output = new List<byte>();
        ulong accumulator = 0;
        var bits = 0;
        foreach (var octet in source)
        {
            var (code, length) = Codes[octet];
            accumulator = (accumulator << length) | code;
            bits += length;
            while (bits >= 8)
            {
                bits -= 8;
                output.Add((byte)(accumulator >> bits));
            }
        }

        if (bits > 0)
        {
            output.Add((byte)((accumulator << (8 - bits)) | (0xffu >> bits)));
        }

        return [.. output];
    }

    private static (uint, int)[] BuildCodes()
    {
        var lengths = CodeLengths;
        var order = Enumerable.Range(0, lengths.Length).OrderBy(s => CodeLengths[s]).ThenBy(s => s).ToArray();
        var codes = new (uint, int)[lengths.Length];
        uint code = 0;
        var previous = lengths[order[0]];
        for (var k = 0; k < order.Length; k++)
        {
            var length = lengths[order[k]];
            if (k > 0)
            {
                code = (code + 1) << (length - previous);
            }

            previous = length;
            codes[order[k]] = (code, length);
        }

        return codes;
    }

    private static int[] BuildTree()
    {
        var codes = BuildCodes();
        var tree = new List<int> { 0, 0 };
        for (var symbol = 0; symbol < codes.Length; symbol++)
        {
            var (code, length) = codes[symbol];
            var node = 0;
            for (var i = length - 1; i >= 0; i--)
            {
                var slot = 2 * node + (int)((code >> i) & 1);
                if (i == 0)
                {
                    tree[slot] = ~symbol;
                    break;
                }

                if (tree[slot] == 0)
                {
                    tree[slot] = tree.Count / 2;
                    tree.Add(0);
                    tree.Add(0);
                }

                node = tree[slot];
            }
        }

        return [.. tree];
    }
}
