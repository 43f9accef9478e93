namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// An exact speed-up for SentencePiece-style BPE without a pre-tokenizer (Llama 2, Mistral legacy):
/// cuts the text before each run of ▁ that follows another character. Used only when no vocabulary token
/// contains ▁ after a different character, so no merge can cross such a cut and the ids are unchanged;
/// pieces then become cacheable words instead of one long sequence.
/// </summary>
internal sealed class SpaceBoundaryPreTokenizer(char space) : PreTokenizer
{
    public static bool IsExactFor(IEnumerable<string> vocabulary, char space) =>
        !vocabulary.Any(token => HasSpaceAfterOther(token, space));

    public override void Split(ReadOnlyMemory<char> input, bool firstSegment, List<ReadOnlyMemory<char>> output)
    {
        var s = input.Span;
        var start = 0;
        for (var i = 1; i < s.Length; i++)
        {
            if (s[i] != space || s[i - 1] == space) continue;
            output.Add(input[start..i]);
            start = i;
        }
        if (start < s.Length) output.Add(input[start..]);
    }

    private static bool HasSpaceAfterOther(string token, char space)
    {
        for (var i = 1; i < token.Length; i++)
        {
            if (token[i] == space && token[i - 1] != space) return true;
        }
        return false;
    }
}
