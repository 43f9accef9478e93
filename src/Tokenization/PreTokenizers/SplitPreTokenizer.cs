using System.Text.RegularExpressions;

namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// <c>{"type":"Split"}</c> with behavior Isolated, Removed, MergedWithPrevious, MergedWithNext or Contiguous.
/// Known patterns run on <see cref="SplitPattern"/> (code-point exact, fast); others on .NET Regex through
/// <see cref="CodePointRegex"/>.
/// </summary>
internal sealed class SplitPreTokenizer : PreTokenizer
{
    public const string Supported = "Isolated, Removed, MergedWithPrevious, MergedWithNext, Contiguous";

    private readonly SplitPattern? _known;
    private readonly CodePointRegex? _regex;
    private readonly string _behavior;

    public SplitPreTokenizer(string pattern, bool isRegex, string behavior = "Isolated")
    {
        if (behavior is not ("Isolated" or "Removed" or "MergedWithPrevious" or "MergedWithNext" or "Contiguous"))
            throw new TokenizerLoadException($"tokenizer.json Split pre-tokenizer behavior '{behavior}' is not supported; supported: {Supported}");
        _behavior = behavior;
        _known = isRegex && behavior == "Isolated" ? SplitPattern.TryCreate(pattern) : null;
        if (_known is not null) return;
        try
        {
            _regex = new CodePointRegex(new Regex(isRegex ? pattern : Regex.Escape(pattern), RegexOptions.CultureInvariant | RegexOptions.Compiled));
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
        var segments = new List<(int Start, int End, bool IsMatch)>();
        var last = 0;
        foreach (var (index, length) in _regex!.Matches(input.ToString()))
        {
            if (index > last) segments.Add((last, index, false));
            segments.Add((index, index + length, true));
            last = index + length;
        }
        if (last < s.Length) segments.Add((last, s.Length, false));
        foreach (var (start, end) in Combine(segments, _behavior)) output.Add(input[start..end]);
    }

    /// <summary>Hugging Face's SplitDelimiterBehavior over the match/gap segments.</summary>
    private static List<(int Start, int End)> Combine(List<(int Start, int End, bool IsMatch)> segments, string behavior)
    {
        var pieces = new List<(int Start, int End)>();
        var previousMatch = false;
        switch (behavior)
        {
            case "Removed":
                pieces.AddRange(segments.Where(x => !x.IsMatch).Select(x => (x.Start, x.End)));
                break;
            case "MergedWithPrevious":
                foreach (var (start, end, isMatch) in segments)
                {
                    if (isMatch && !previousMatch && pieces.Count > 0) pieces[^1] = (pieces[^1].Start, end);
                    else pieces.Add((start, end));
                    previousMatch = isMatch;
                }
                break;
            case "MergedWithNext":
                for (var i = segments.Count - 1; i >= 0; i--)
                {
                    var (start, end, isMatch) = segments[i];
                    if (isMatch && !previousMatch && pieces.Count > 0) pieces[^1] = (start, pieces[^1].End);
                    else pieces.Add((start, end));
                    previousMatch = isMatch;
                }
                pieces.Reverse();
                break;
            case "Contiguous":
                foreach (var (start, end, isMatch) in segments)
                {
                    if (isMatch == previousMatch && pieces.Count > 0) pieces[^1] = (pieces[^1].Start, end);
                    else pieces.Add((start, end));
                    previousMatch = isMatch;
                }
                break;
            default:
                pieces.AddRange(segments.Select(x => (x.Start, x.End)));
                break;
        }
        return pieces;
    }
}
