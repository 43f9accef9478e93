namespace Cluster.Tokenization.Models;

/// <summary>
/// GPT-2's reversible byte ↔ printable-character map: printable Latin-1 bytes map to themselves, the
/// other 68 bytes to U+0100 onwards. Byte-level vocabularies spell every token in these characters.
/// </summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> CharToByteMap = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    public static bool TryCharToByte(char c, out byte b) => CharToByteMap.TryGetValue(c, out b);

    /// <summary>Decodes a vocabulary token spelled in the alphabet back to raw bytes; null if it is not.</summary>
    public static byte[]? TokenToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!CharToByteMap.TryGetValue(token[i], out bytes[i])) return null;
        }
        return bytes;
    }

    private static char[] Build()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
