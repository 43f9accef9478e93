namespace Cluster.Tokenization.PreTokenizers;

/// <summary>
/// <c>{"type":"Metaspace"}</c> (newer Llama 2 / Mistral tokenizer.json): spaces become the replacement
/// (▁), which is prepended per <paramref name="prependScheme"/> (always, first, never); with
/// <paramref name="split"/> each piece starts at a ▁.
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : PreTokenizer
{
    public override void Split(ReadOnlyMemory<char> input, bool firstSegment, List<ReadOnlyMemory<char>> output)
    {
        var text = input.ToString().Replace(' ', replacement);
        var prepend = prependScheme == "always" || (prependScheme == "first" && firstSegment);
        if (prepend && text.Length > 0 && text[0] != replacement) text = replacement + text;
        var mem = text.AsMemory();
        if (!split)
        {
            output.Add(mem);
            return;
        }
        var start = 0;
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] != replacement) continue;
            output.Add(mem[start..i]);
            start = i;
        }
        if (start < text.Length) output.Add(mem[start..]);
    }
}
