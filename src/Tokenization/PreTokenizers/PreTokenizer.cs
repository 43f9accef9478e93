namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// A tokenizer.json pre-tokenizer: cuts normalized text into pieces that BPE encodes independently.
/// The firstSegment argument is true for the text before the first added token (Metaspace's "first" scheme).
/// </summary>
internal abstract class PreTokenizer
{
    public abstract void Split(ReadOnlyMemory<char> input, bool firstSegment, List<ReadOnlyMemory<char>> output);
}

/// <summary><c>{"type":"Sequence"}</c>: each pre-tokenizer splits every piece of the previous one.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<PreTokenizer> items) : PreTokenizer
{
    public override void Split(ReadOnlyMemory<char> input, bool firstSegment, List<ReadOnlyMemory<char>> output)
    {
        var current = new List<ReadOnlyMemory<char>> { input };
        var next = new List<ReadOnlyMemory<char>>();
        foreach (var p in items)
        {
            next.Clear();
            foreach (var piece in current) p.Split(piece, firstSegment, next);
            (current, next) = (next, current);
        }
        output.AddRange(current);
    }
}
