using System.Text;
using Cluster.Tokenization.AddedTokens;
using Cluster.Tokenization.Decoding;
using Cluster.Tokenization.Loading;
using Cluster.Tokenization.Models;
using Cluster.Tokenization.Normalizers;
using Cluster.Tokenization.PreTokenizers;

namespace Cluster.Tokenization;

/// <summary>
/// A Hugging Face BPE tokenizer (byte-level or SentencePiece-style) loaded from tokenizer.json and
/// tokenizer_config.json. Thread-safe; encode results are cached per pre-tokenized piece.
/// Pipeline: added tokens are cut out of the raw text → each text segment is normalized and
/// pre-tokenized → BPE per piece → post-processor ids (BOS/EOS) around the result.
/// </summary>
public sealed class Tokenizer
{
    private readonly AddedTokenSplitter _added;
    private readonly TextNormalizer? _normalizer;
    private readonly PreTokenizer? _preTokenizer;
    private readonly BpeModel _model;
    private readonly int[] _prefix;
    private readonly int[] _suffix;
    private readonly TokenBytes _bytes;
    private readonly Dictionary<int, string> _idToToken = [];
    private readonly Dictionary<string, int> _tokenToId = new(StringComparer.Ordinal);

    internal Tokenizer(TokenizerParts parts)
    {
        _normalizer = parts.Normalizer;
        _preTokenizer = parts.PreTokenizer;
        _model = parts.Model;
        _prefix = [.. parts.Prefix];
        _suffix = [.. parts.Suffix];
        AddedTokens = parts.AddedTokens;
        Config = parts.Config;
        _added = new AddedTokenSplitter(parts.AddedTokens);
        _bytes = new TokenBytes(parts.Model.Vocab, parts.AddedTokens, parts.DecoderKind, parts.StripLeadingSpaces, parts.ByteFallbackDecode);
        foreach (var (token, id) in parts.Model.Vocab) { _idToToken[id] = token; _tokenToId[token] = id; }
        foreach (var a in parts.AddedTokens) { _idToToken[a.Id] = a.Content; _tokenToId[a.Content] = a.Id; }
        BosTokenId = Config.BosToken is { } bos ? TokenToId(bos) : null;
        EosTokenId = Config.EosToken is { } eos ? TokenToId(eos) : null;
    }

    public TokenizerConfig Config { get; }

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    public int? BosTokenId { get; }

    public int? EosTokenId { get; }

    /// <summary>One more than the largest id (vocabulary plus added tokens).</summary>
    public int VocabularySize => _bytes.Count;

    /// <summary>Loads tokenizer.json and, when present, tokenizer_config.json from a model directory.</summary>
    public static Tokenizer FromDirectory(string directory) => TokenizerJsonLoader.FromDirectory(directory);

    /// <summary>Loads from the text of tokenizer.json and (optionally) tokenizer_config.json.</summary>
    public static Tokenizer FromJson(string tokenizerJson, string? tokenizerConfigJson = null) =>
        TokenizerJsonLoader.FromJson(tokenizerJson, tokenizerConfigJson);

    /// <summary>Loads OpenAI's GPT-2 files (encoder.json + vocab.bpe) as a byte-level BPE tokenizer.</summary>
    public static Tokenizer FromGpt2Files(string encoderJson, string vocabBpe) => Gpt2FilesLoader.Load(encoderJson, vocabBpe);

    /// <summary>
    /// Encodes text. <paramref name="addSpecialTokens"/> adds the post-processor's ids (e.g. BOS).
    /// <paramref name="allowSpecialTokens"/>: whether special tokens written in the text become their
    /// ids; false (the default, for untrusted user text) encodes them as ordinary text. Non-special
    /// added tokens always match.
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = true, bool allowSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_prefix);
        var pieces = new List<ReadOnlyMemory<char>>();
        var first = true;
        foreach (var (start, length, token) in _added.Split(text, allowSpecialTokens))
        {
            if (token is not null) { ids.Add(token.Id); first = false; continue; }
            var segment = text.Substring(start, length);
            if (_normalizer is not null) segment = _normalizer.Normalize(segment);
            pieces.Clear();
            if (_preTokenizer is null) pieces.Add(segment.AsMemory());
            else _preTokenizer.Split(segment.AsMemory(), first, pieces);
            foreach (var piece in pieces) _model.Encode(piece.Span, ids);
            first = false;
        }
        if (addSpecialTokens) ids.AddRange(_suffix);
        return [.. ids];
    }

    /// <summary>Decodes ids to text; invalid UTF-8 becomes U+FFFD. Equals the concatenated output of a <see cref="StreamingDecoder"/>.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var decoder = CreateStreamingDecoder(skipSpecialTokens);
        var sb = new StringBuilder();
        foreach (var id in ids) sb.Append(decoder.Append(id));
        return sb.Append(decoder.Flush()).ToString();
    }

    /// <summary>An incremental decoder for one generated sequence.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new(_bytes, skipSpecialTokens);

    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out var id) ? id : null;

    public string? IdToToken(int id) => _idToToken.GetValueOrDefault(id);

    /// <summary>Whether <paramref name="id"/> is a special added token (BOS, EOS, chat markers...).</summary>
    public bool IsSpecial(int id) => _bytes.IsSpecial(id);
}
