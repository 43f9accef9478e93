using System.Text;
using Cluster.Tokenization.Models;

namespace Cluster.Tokenization.Decoding;

/// <summary>
/// The decoder of tokenizer.json reduced to what the supported families need: every id maps to a byte
/// string (byte-level alphabet reversed, or ▁ → space with &lt;0xXX&gt; as one byte when the decoder has ByteFallback), the bytes of a
/// sequence are concatenated and decoded as UTF-8 (invalid sequences → U+FFFD), and the first
/// <see cref="StripLeadingSpaces"/> spaces of the output are removed (SentencePiece's prefix space).
/// </summary>
internal sealed class TokenBytes
{
    private readonly byte[]?[] _bytes;
    private readonly bool[] _special;

    public TokenBytes(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<AddedToken> added, DecoderKind kind, int stripLeadingSpaces, bool byteFallback)
    {
        var size = Math.Max(vocab.Count == 0 ? 0 : vocab.Values.Max() + 1, added.Count == 0 ? 0 : added.Max(a => a.Id) + 1);
        _bytes = new byte[size][];
        _special = new bool[size];
        StripLeadingSpaces = stripLeadingSpaces;
        foreach (var (token, id) in vocab) _bytes[id] = kind == DecoderKind.ByteLevel ? ByteLevelBytes(token) : SentencePieceBytes(token, byteFallback);
        foreach (var a in added)
        {
            _bytes[a.Id] = Encoding.UTF8.GetBytes(kind == DecoderKind.ByteLevel ? a.Content : a.Content.Replace('\u2581', ' '));
            _special[a.Id] = a.Special;
        }
    }

    public int StripLeadingSpaces { get; }

    public int Count => _bytes.Length;

    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>The bytes of one id; throws for ids outside the vocabulary.</summary>
    public ReadOnlySpan<byte> Get(int id) =>
        (uint)id < (uint)_bytes.Length && _bytes[id] is { } b ? b : throw new ArgumentOutOfRangeException(nameof(id), id, "token id is not in the vocabulary");

    private static byte[] ByteLevelBytes(string token) => ByteLevelAlphabet.TokenToBytes(token) ?? Encoding.UTF8.GetBytes(token);

    private static byte[] SentencePieceBytes(string token, bool byteFallback)
    {
        if (byteFallback && token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
            return [b];
        return Encoding.UTF8.GetBytes(token.Replace('\u2581', ' '));
    }
}
