using System.Text;
using Cluster.Tokenization.Decoding;

namespace Cluster.Tokenization;

/// <summary>
/// Incremental detokenizer: feed ids one at a time, get the text they complete. Never emits a broken
/// UTF-8 sequence: bytes of an incomplete character (e.g. byte-fallback &lt;0xE2&gt;&lt;0x82&gt; waiting for
/// &lt;0xAC&gt;) are held until it completes or turns out invalid (then U+FFFD, as a whole decode would).
/// The concatenation of every <see cref="Append"/> and <see cref="Flush"/> equals <see cref="Tokenizer.Decode"/>
/// of the same ids. Not thread-safe: one per sequence.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly TokenBytes _table;
    private readonly bool _skipSpecial;
    private readonly List<byte> _pending = new(8);
    private int _stripRemaining;

    internal StreamingDecoder(TokenBytes table, bool skipSpecialTokens)
    {
        _table = table;
        _skipSpecial = skipSpecialTokens;
        _stripRemaining = table.StripLeadingSpaces;
    }

    /// <summary>Adds one id; returns the text now complete (often empty while a character is pending).</summary>
    public string Append(int id)
    {
        if (_skipSpecial && _table.IsSpecial(id)) return string.Empty;
        var bytes = _table.Get(id);
        foreach (var b in bytes)
        {
            if (_stripRemaining > 0)
            {
                if (b == (byte)' ') { _stripRemaining--; continue; }
                _stripRemaining = 0;
            }
            _pending.Add(b);
        }
        if (_pending.Count == 0) return string.Empty;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending);
        var complete = Utf8Boundary.CompletePrefixLength(span);
        if (complete == 0) return string.Empty;
        var text = Encoding.UTF8.GetString(span[..complete]);
        _pending.RemoveRange(0, complete);
        return text;
    }

    /// <summary>Ends the sequence: returns the held bytes decoded (an incomplete character becomes U+FFFD).</summary>
    public string Flush()
    {
        var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending));
        _pending.Clear();
        return text;
    }
}
