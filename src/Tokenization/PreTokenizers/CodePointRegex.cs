using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// Runs a .NET Regex as if it matched whole code points: .NET sees a supplementary character as two
/// surrogates (category Cs), so \p{L} or \p{S} would not match U+20000 or an emoji as the Rust and JS
/// engines do. Each surrogate pair is swapped for a BMP stand-in of the same general category, the regex runs
/// on that text, and match boundaries are mapped back. Stand-ins are taken from scripts a pattern is unlikely to
/// name literally; a pattern that names supplementary characters explicitly is not supported.
/// </summary>
internal sealed class CodePointRegex(Regex regex)
{
    private static readonly char[] StandIns = BuildStandIns();

    /// <summary>Matches as (start, length) in the original string; empty matches are skipped.</summary>
    public IEnumerable<(int Start, int Length)> Matches(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\ud800', '\udbff'))
        {
            foreach (Match m in regex.Matches(text)) if (m.Length > 0) yield return (m.Index, m.Length);
            yield break;
        }
        var sb = new StringBuilder(text.Length);
        var map = new List<int>(text.Length + 1); // transformed index → original index
        for (var i = 0; i < text.Length; i++)
        {
            map.Add(i);
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(StandIns[(int)CharUnicodeInfo.GetUnicodeCategory(text, i)]);
                i++;
            }
            else sb.Append(text[i]);
        }
        map.Add(text.Length);
        foreach (Match m in regex.Matches(sb.ToString()))
        {
            if (m.Length == 0) continue;
            var start = map[m.Index];
            yield return (start, map[m.Index + m.Length] - start);
        }
    }

    private static char[] BuildStandIns()
    {
        var table = new char[32];
        // Prefer characters from rarely named blocks (Vai, Bamum, Yi...) and fall back to any BMP character.
        foreach (var (from, to) in new[] { (0xA500, 0xA6FF), (0xA000, 0xA4FF), (0x2E80, 0x2FFF), (0x1D00, 0x1DFF), (0x0000, 0xFFFF) })
        {
            for (var c = from; c <= to; c++)
            {
                if (c is >= 0xD800 and <= 0xDFFF) continue;
                var cat = (int)CharUnicodeInfo.GetUnicodeCategory((char)c);
                if (table[cat] == '\0' && !char.IsWhiteSpace((char)c)) table[cat] = (char)c;
            }
        }
        return table;
    }
}
