using Cluster.Tokenization.Unicode;

namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// Hand-written matchers for the split regexes of the supported families, evaluated over code points
/// with the regex's leftmost-alternative semantics. .NET Regex sees UTF-16 units, so \p{L} would miss
/// supplementary-plane letters (e.g. U+20000); these matchers do not.
/// </summary>
internal sealed class SplitPattern
{
    /// <summary>GPT-2's pattern (also the ByteLevel pre-tokenizer's built-in regex).</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Llama 3's pattern; Qwen2/3 use the same with \p{N} instead of \p{N}{1,3}.</summary>
    public const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly bool _gpt2;
    private readonly int _maxDigits;

    private SplitPattern(bool gpt2, int maxDigits)
    {
        _gpt2 = gpt2;
        _maxDigits = maxDigits;
    }

    /// <summary>Returns a matcher for a known pattern, or null.</summary>
    public static SplitPattern? TryCreate(string pattern) => pattern switch
    {
        Gpt2 => new SplitPattern(gpt2: true, int.MaxValue),
        Llama3 => new SplitPattern(gpt2: false, 3),
        Qwen2 => new SplitPattern(gpt2: false, 1),
        _ => null,
    };

    /// <summary>End (exclusive) of the match starting at <paramref name="i"/>; every position matches.</summary>
    public int MatchAt(ReadOnlySpan<char> s, int i)
    {
        var c = CodePoints.At(s, i, out var w);
        if (c == '\'' && Contraction(s, i + 1, caseInsensitive: !_gpt2) is var k and > 0) return i + 1 + k;
        return _gpt2 ? MatchGpt2(s, i, c, w) : MatchLlama3(s, i, c, w);
    }

    private int MatchGpt2(ReadOnlySpan<char> s, int i, int c, int w)
    {
        var start = i;
        if (c == ' ' && i + 1 < s.Length)
        {
            var n = CodePoints.At(s, i + 1, out _);
            if (!CodePoints.IsWhiteSpace(n)) { i++; c = n; w = Width(s, i); }
        }
        if (CodePoints.IsLetter(c)) return Run(s, i, CodePoints.IsLetter, int.MaxValue);
        if (CodePoints.IsNumber(c)) return Run(s, i, CodePoints.IsNumber, int.MaxValue);
        if (i > start || !CodePoints.IsWhiteSpace(c)) return Run(s, i, IsOther, int.MaxValue);
        return Spaces(s, start, allowNewlineRule: false);
    }

    private int MatchLlama3(ReadOnlySpan<char> s, int i, int c, int w)
    {
        if (CodePoints.IsLetter(c)) return Run(s, i, CodePoints.IsLetter, int.MaxValue);
        if (c != '\r' && c != '\n' && !CodePoints.IsNumber(c) && i + w < s.Length && CodePoints.IsLetter(CodePoints.At(s, i + w, out _)))
            return Run(s, i + w, CodePoints.IsLetter, int.MaxValue);
        if (CodePoints.IsNumber(c)) return Run(s, i, CodePoints.IsNumber, _maxDigits);
        var p = i;
        if (c == ' ' && i + 1 < s.Length && IsOther(CodePoints.At(s, i + 1, out _))) p = i + 1;
        else if (!IsOther(c)) return Spaces(s, i, allowNewlineRule: true);
        var end = Run(s, p, IsOther, int.MaxValue);
        while (end < s.Length && s[end] is '\r' or '\n') end++;
        return end;
    }

    /// <summary>\s*[\r\n]+ (when allowed), then \s+(?!\S), then \s+ over the whitespace run at <paramref name="i"/>.</summary>
    private static int Spaces(ReadOnlySpan<char> s, int i, bool allowNewlineRule)
    {
        var j = i;
        var lastNewline = -1;
        while (j < s.Length && CodePoints.IsWhiteSpace(CodePoints.At(s, j, out var w)))
        {
            if (s[j] is '\r' or '\n') lastNewline = j;
            j += w;
        }
        if (allowNewlineRule && lastNewline >= 0) return lastNewline + 1;
        if (j == s.Length) return j;
        var lastWidth = char.IsLowSurrogate(s[j - 1]) && j - 2 >= i && char.IsHighSurrogate(s[j - 2]) ? 2 : 1;
        return j - lastWidth > i ? j - lastWidth : j;
    }

    private static int Contraction(ReadOnlySpan<char> s, int i, bool caseInsensitive)
    {
        if (i >= s.Length) return 0;
        var a = caseInsensitive ? char.ToLowerInvariant(s[i]) : s[i];
        if (!char.IsAscii(s[i])) return 0;
        if (a is 's' or 't' or 'm' or 'd') return 1;
        if (i + 1 >= s.Length || !char.IsAscii(s[i + 1])) return 0;
        var b = caseInsensitive ? char.ToLowerInvariant(s[i + 1]) : s[i + 1];
        return (a, b) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? 2 : 0;
    }

    private static bool IsOther(int cp) => !CodePoints.IsWhiteSpace(cp) && !CodePoints.IsLetter(cp) && !CodePoints.IsNumber(cp);

    private static int Width(ReadOnlySpan<char> s, int i) => char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;

    private static int Run(ReadOnlySpan<char> s, int i, Func<int, bool> predicate, int max)
    {
        var count = 0;
        while (i < s.Length && count < max)
        {
            var cp = CodePoints.At(s, i, out var w);
            if (!predicate(cp)) break;
            i += w;
            count++;
        }
        return i;
    }
}
