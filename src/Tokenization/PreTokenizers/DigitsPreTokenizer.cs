namespace Cluster.Tokenization.PreTokenizers;

/// <summary><c>{"type":"Digits"}</c>: isolates runs of ASCII digits, or each digit when <paramref name="individual"/>.</summary>
internal sealed class DigitsPreTokenizer(bool individual) : PreTokenizer
{
    public override void Split(ReadOnlyMemory<char> input, bool firstSegment, List<ReadOnlyMemory<char>> output)
    {
        var s = input.Span;
        var start = 0;
        for (var i = 1; i <= s.Length; i++)
        {
            var boundary = i == s.Length || char.IsAsciiDigit(s[i]) != char.IsAsciiDigit(s[i - 1]) || (individual && char.IsAsciiDigit(s[i]));
            if (!boundary) continue;
            output.Add(input[start..i]);
            start = i;
        }
    }
}
