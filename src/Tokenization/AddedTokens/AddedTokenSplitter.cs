namespace Cluster.Tokenization.AddedTokens;

/// <summary>
/// Finds added tokens in raw text, leftmost first and longest at a position. Non-special added tokens
/// always match; special ones only when the caller allows it (otherwise their text is encoded as
/// ordinary text). lstrip/rstrip swallow the whitespace beside a match.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>Segments in order: text ranges (Token null) and matched tokens.</summary>
    public List<(int Start, int Length, AddedToken? Token)> Split(string text, bool allowSpecial)
    {
        var result = new List<(int, int, AddedToken?)>();
        var textStart = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!_byFirstChar.TryGetValue(text[i], out var candidates)) continue;
            var match = FindAt(text, i, candidates, allowSpecial);
            if (match is null) continue;
            var textEnd = i;
            if (match.LStrip) while (textEnd > textStart && char.IsWhiteSpace(text[textEnd - 1])) textEnd--;
            if (textEnd > textStart) result.Add((textStart, textEnd - textStart, null));
            result.Add((i, match.Content.Length, match));
            i += match.Content.Length;
            if (match.RStrip) while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            textStart = i;
            i--;
        }
        if (textStart < text.Length) result.Add((textStart, text.Length - textStart, null));
        return result;
    }

    private static AddedToken? FindAt(string text, int i, AddedToken[] candidates, bool allowSpecial)
    {
        foreach (var t in candidates)
        {
            if ((allowSpecial || !t.Special) && string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0
                && i + t.Content.Length <= text.Length)
                return t;
        }
        return null;
    }
}
