using System.Globalization;
using System.Text;

namespace Cluster.Tokenization.Unicode;

/// <summary>
/// Code-point classification as the pre-tokenizer regexes see it (\p{L}, \p{N}, \s over whole code
/// points, not UTF-16 units). A lone surrogate is one code point of category Cs.
/// </summary>
internal static class CodePoints
{
    private static readonly byte[] AsciiClass = BuildAscii();
    private const byte Letter = 1, Number = 2, Space = 4;

    /// <summary>Reads the code point at <paramref name="i"/>; <paramref name="width"/> is 1 or 2 UTF-16 units.</summary>
    public static int At(ReadOnlySpan<char> s, int i, out int width)
    {
        var c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        width = 1;
        return c;
    }

    public static bool IsLetter(int cp) => cp < 128 ? (AsciiClass[cp] & Letter) != 0 : Category(cp) <= UnicodeCategory.OtherLetter;

    public static bool IsNumber(int cp) => cp < 128
        ? (AsciiClass[cp] & Number) != 0
        : Category(cp) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>Unicode White_Space (the \s of the Rust regex crate used by Hugging Face tokenizers).</summary>
    public static bool IsWhiteSpace(int cp) => cp < 128
        ? (AsciiClass[cp] & Space) != 0
        : cp is 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    private static UnicodeCategory Category(int cp) =>
        cp is >= 0xD800 and <= 0xDFFF ? UnicodeCategory.Surrogate : Rune.GetUnicodeCategory(new Rune(cp));

    private static byte[] BuildAscii()
    {
        var t = new byte[128];
        for (var c = 0; c < 128; c++)
        {
            if (char.IsAsciiLetter((char)c)) t[c] |= Letter;
            if (char.IsAsciiDigit((char)c)) t[c] |= Number;
            if (c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r') t[c] |= Space;
        }
        return t;
    }
}
