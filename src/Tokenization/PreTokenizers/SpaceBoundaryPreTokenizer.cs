namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// An exact speed-up for SentencePiece-style BPE (Llama 2, Mistral, Gemma): cuts the text before a ▁ that
/// follows a character X, where no merge can ever cross the cut. A token spanning the cut would contain X▁
/// (or, when X is not in the vocabulary and becomes byte-fallback or unk tokens, "&gt;▁"), so cuts are skipped
/// after every X that the vocabulary ever places before ▁. The ids are unchanged; pieces become cacheable
/// words instead of one long sequence.
/// </summary>
internal sealed class SpaceBoundaryPreTokenizer : PreTokenizer
{
    private const char Space = '\u2581';

    private readonly HashSet<string> _blocked = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _blockedBySpan;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocab;
    private readonly bool _unknownBlocked;

    public SpaceBoundaryPreTokenizer(Dictionary<string, int> vocabulary)
    {
        _vocab = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _blockedBySpan = _blocked.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var token in vocabulary.Keys)
        {
            for (var i = 1; i < token.Length; i++)
            {
                if (token[i] != Space || token[i - 1] == Space) continue;
                var w = i >= 2 && char.IsLowSurrogate(token[i - 1]) && char.IsHighSurrogate(token[i - 2]) ? 2 : 1;
                _blocked.Add(token.Substring(i - w, w));
            }
        }
        _unknownBlocked = _blocked.Contains(">");
    }

    public override void Split(ReadOnlyMemory<char> input, bool firstSegment, List<ReadOnlyMemory<char>> output)
    {
        var s = input.Span;
        var start = 0;
        for (var i = 1; i < s.Length; i++)
        {
            if (s[i] != Space || s[i - 1] == Space || !CanCutAfter(s, i)) continue;
            output.Add(input[start..i]);
            start = i;
        }
        if (start < s.Length) output.Add(input[start..]);
    }

    private bool CanCutAfter(ReadOnlySpan<char> s, int i)
    {
        if (_blocked.Count == 0) return true;
        var w = i >= 2 && char.IsLowSurrogate(s[i - 1]) && char.IsHighSurrogate(s[i - 2]) ? 2 : 1;
        var previous = s.Slice(i - w, w);
        if (_blockedBySpan.Contains(previous)) return false;
        return !_unknownBlocked || _vocab.ContainsKey(previous);
    }
}
