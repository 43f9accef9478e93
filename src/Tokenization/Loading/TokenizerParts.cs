using Cluster.Tokenization.Decoding;
using Cluster.Tokenization.Models;
using Cluster.Tokenization.Normalizers;
using Cluster.Tokenization.PreTokenizers;

namespace Cluster.Tokenization.Loading;

/// <summary>Everything a <see cref="Tokenizer"/> is built from.</summary>
internal sealed record TokenizerParts(
    TextNormalizer? Normalizer,
    PreTokenizer? PreTokenizer,
    BpeModel Model,
    IReadOnlyList<AddedToken> AddedTokens,
    IReadOnlyList<int> Prefix,
    IReadOnlyList<int> Suffix,
    DecoderKind DecoderKind,
    int StripLeadingSpaces,
    bool ByteFallbackDecode,
    TokenizerConfig Config);
