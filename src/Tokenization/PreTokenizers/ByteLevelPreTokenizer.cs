namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// <c>{"type":"ByteLevel"}</c>. The byte → alphabet mapping itself happens in the BPE model (it works on
/// UTF-8 bytes); here only the optional prefix space and GPT-2's split regex.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    private static readonly SplitPreTokenizer Gpt2Split = new(SplitPattern.Gpt2, isRegex: true);

    public override void Split(ReadOnlyMemory<char> input, bool firstSegment, List<ReadOnlyMemory<char>> output)
    {
        if (addPrefixSpace && (input.Length == 0 || input.Span[0] != ' ')) input = (" " + input.ToString()).AsMemory();
        if (useRegex) Gpt2Split.Split(input, firstSegment, output);
        else output.Add(input);
    }
}
