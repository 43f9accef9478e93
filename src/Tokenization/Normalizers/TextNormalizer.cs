using System.Text.RegularExpressions;
using Cluster.Tokenization.Unicode;

namespace Cluster.Tokenization.Normalizers;

/// <summary>A tokenizer.json normalizer: a pure string → string function applied to text between added tokens.</summary>
internal abstract class TextNormalizer
{
    public abstract string Normalize(string text);
}

/// <summary><c>{"type":"Prepend"}</c>: prefixes non-empty text.</summary>
internal sealed class PrependNormalizer(string prefix) : TextNormalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

/// <summary><c>{"type":"Replace"}</c> with a literal pattern (<c>{"String":...}</c>) or a regex (<c>{"Regex":...}</c>).</summary>
internal sealed class ReplaceNormalizer(string? literal, Regex? regex, string content) : TextNormalizer
{
    public override string Normalize(string text) =>
        literal is not null ? text.Replace(literal, content, StringComparison.Ordinal) : regex!.Replace(text, content);
}

/// <summary><c>{"type":"NFC"}</c> through our own tables (see Unicode/Nfc.cs).</summary>
internal sealed class NfcNormalizer : TextNormalizer
{
    public override string Normalize(string text) => Nfc.Normalize(text);
}

/// <summary><c>{"type":"Lowercase"}</c>.</summary>
internal sealed class LowercaseNormalizer : TextNormalizer
{
    public override string Normalize(string text) => text.ToLowerInvariant();
}

/// <summary><c>{"type":"Sequence"}</c>: applies each in order.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<TextNormalizer> items) : TextNormalizer
{
    public override string Normalize(string text)
    {
        foreach (var n in items) text = n.Normalize(text);
        return text;
    }
}
