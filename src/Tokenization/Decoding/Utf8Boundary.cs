namespace Cluster.Tokenization.Decoding;

/// <summary>Finds where a byte stream can be cut without splitting a character that may still complete.</summary>
internal static class Utf8Boundary
{
    /// <summary>
    /// Length of the prefix safe to decode now: everything except a trailing, still-valid but incomplete
    /// UTF-8 sequence. Invalid bytes are not held (they decode to U+FFFD either way).
    /// </summary>
    public static int CompletePrefixLength(ReadOnlySpan<byte> s)
    {
        var start = s.Length - 1;
        var back = 0;
        while (start >= 0 && back < 3 && (s[start] & 0xC0) == 0x80) { start--; back++; }
        if (start < 0) return s.Length;
        var lead = s[start];
        var need = lead switch
        {
            >= 0xC2 and <= 0xDF => 2,
            >= 0xE0 and <= 0xEF => 3,
            >= 0xF0 and <= 0xF4 => 4,
            _ => 0,
        };
        var have = s.Length - start;
        if (need == 0 || have >= need) return s.Length;
        if (have >= 2 && !SecondByteValid(lead, s[start + 1])) return s.Length;
        return start;
    }

    private static bool SecondByteValid(byte lead, byte second) => lead switch
    {
        0xE0 => second is >= 0xA0 and <= 0xBF,
        0xED => second is >= 0x80 and <= 0x9F,
        0xF0 => second is >= 0x90 and <= 0xBF,
        0xF4 => second is >= 0x80 and <= 0x8F,
        _ => second is >= 0x80 and <= 0xBF,
    };
}
