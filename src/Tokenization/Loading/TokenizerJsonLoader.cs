using System.Text.Json;
using Cluster.Tokenization.Decoding;
using Cluster.Tokenization.PreTokenizers;

namespace Cluster.Tokenization.Loading;

/// <summary>Reads tokenizer.json + tokenizer_config.json into a <see cref="Tokenizer"/>.</summary>
internal static class TokenizerJsonLoader
{
    private static readonly string[] BosEosClasses = ["LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast"];

    public static Tokenizer FromDirectory(string directory)
    {
        var tokenizerPath = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(tokenizerPath))
            throw new TokenizerLoadException($"{tokenizerPath} not found; only the tokenizer.json format is supported (not tokenizer.model / vocab.json alone)");
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        return FromJson(File.ReadAllText(tokenizerPath), File.Exists(configPath) ? File.ReadAllText(configPath) : null);
    }

    public static Tokenizer FromJson(string tokenizerJson, string? configJson)
    {
        var config = configJson is null ? new TokenizerConfig() : TokenizerConfig.Parse(configJson);
        using var doc = JsonDocument.Parse(tokenizerJson);
        var root = doc.RootElement;
        if (!root.TryGetProperty("model", out var modelJson)) throw new TokenizerLoadException("tokenizer.json has no \"model\"");
        ModelParser.CheckType(modelJson);
        var preTokenizerJson = Json.Property(root, "pre_tokenizer");
        var (decoderKind, strip, byteFallbackDecode) = ModelParser.Decoder(Json.Property(root, "decoder"));
        var byteLevel = decoderKind == DecoderKind.ByteLevel || (preTokenizerJson.ValueKind != JsonValueKind.Undefined && preTokenizerJson.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal));
        var model = ModelParser.Model(modelJson, byteLevel);
        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var list))
        {
            foreach (var a in list.EnumerateArray())
            {
                if (Json.Bool(a, "single_word", false))
                    throw new TokenizerLoadException($"added token '{Json.String(a, "content")}' uses single_word, which is not supported");
                added.Add(new AddedToken(a.GetProperty("id").GetInt32(), Json.String(a, "content"), Json.Bool(a, "special", false),
                    Json.Bool(a, "lstrip", false), Json.Bool(a, "rstrip", false)));
            }
        }
        var (prefix, suffix) = ModelParser.PostProcessor(Json.Property(root, "post_processor"));
        ApplyConfigBosEos(config, added, model.Vocab, prefix, suffix);
        var preTokenizer = ComponentParser.PreTokenizer(preTokenizerJson);
        if (decoderKind == DecoderKind.SentencePiece && !byteLevel)
        {
            var boundary = new SpaceBoundaryPreTokenizer(model.VocabDictionary);
            preTokenizer = preTokenizer is null ? boundary : new SequencePreTokenizer([preTokenizer, boundary]);
        }
        var parts = new TokenizerParts(ComponentParser.Normalizer(Json.Property(root, "normalizer")), preTokenizer,
            model, added, prefix, suffix, decoderKind, strip, byteFallbackDecode, config);
        return new Tokenizer(parts);
    }

    /// <summary>
    /// As transformers' Llama/Gemma fast tokenizers do: explicit add_bos_token / add_eos_token in the
    /// config replace the post-processor's template. Other classes follow tokenizer.json alone.
    /// </summary>
    private static void ApplyConfigBosEos(TokenizerConfig config, List<AddedToken> added, IReadOnlyDictionary<string, int> vocab, List<int> prefix, List<int> suffix)
    {
        if (config.TokenizerClass is null || !BosEosClasses.Contains(config.TokenizerClass)) return;
        if (config.AddBosToken is null && config.AddEosToken is null) return;
        int? Id(string? token) => token is null ? null : added.FirstOrDefault(a => a.Content == token)?.Id ?? (vocab.TryGetValue(token, out var v) ? v : null);
        prefix.Clear();
        suffix.Clear();
        if (config.AddBosToken == true && Id(config.BosToken) is { } bos) prefix.Add(bos);
        if (config.AddEosToken == true && Id(config.EosToken) is { } eos) suffix.Add(eos);
    }
}
