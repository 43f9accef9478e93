namespace Cluster.Tokenization.Decoding;

/// <summary>How vocabulary tokens turn back into bytes.</summary>
internal enum DecoderKind
{
    /// <summary>GPT-2 byte-level alphabet.</summary>
    ByteLevel,

    /// <summary>SentencePiece: ▁ is a space, &lt;0xXX&gt; is a raw byte.</summary>
    SentencePiece,
}
