using System.Text.RegularExpressions;

namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// <c>{"type":"Split","behavior":"Isolated"}</c>: every regex match and every gap between matches is a piece.
/// Known patterns run on <see cref="SplitPattern"/> (code-point exact); others on .NET Regex.
/// </summary>
internal sealed class SplitPreTokenizer : PreTokenizer
{
    private readonly SplitPattern? _known;
    private readonly Regex? _regex;

    public SplitPreTokenizer(string pattern, bool isRegex)
    {
        _known = isRegex ? SplitPattern.TryCreate(pattern) : null;
        if (_known is not null) return;
        try
        {
            _regex = new Regex(isRegex ? pattern : Regex.Escape(pattern), RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new TokenizerLoadException($"Split pre-tokenizer regex is not supported by .NET Regex ({e.Message}): {pattern}", e);
        }
    }

    public override void Split(ReadOnlyMemory<char> input, bool firstSegment, List<ReadOnlyMemory<char>> output)
    {
        var s = input.Span;
        if (_known is not null)
        {
            for (var i = 0; i < s.Length;)
            {
                var end = _known.MatchAt(s, i);
                output.Add(input[i..end]);
                i = end;
            }
            return;
        }
        var last = 0;
        foreach (var m in _regex!.EnumerateMatches(s))
        {
            if (m.Length == 0) continue;
            if (m.Index > last) output.Add(input[last..m.Index]);
            output.Add(input.Slice(m.Index, m.Length));
            last = m.Index + m.Length;
        }
        if (last < s.Length) output.Add(input[last..]);
    }
}
