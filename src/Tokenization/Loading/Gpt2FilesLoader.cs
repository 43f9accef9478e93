using System.Text.Json;
using Cluster.Tokenization.Decoding;
using Cluster.Tokenization.Models;
using Cluster.Tokenization.PreTokenizers;

namespace Cluster.Tokenization.Loading;

/// <summary>OpenAI's original GPT-2 files: encoder.json (token → id) and vocab.bpe (one merge per line after a #version header).</summary>
internal static class Gpt2FilesLoader
{
    private const string EndOfText = "<|endoftext|>";

    public static Tokenizer Load(string encoderJson, string vocabBpe)
    {
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(encoderJson)
            ?? throw new TokenizerLoadException("encoder.json is empty");
        var merges = new List<(string, string)>();
        foreach (var line in vocabBpe.Split('\n'))
        {
            var l = line.TrimEnd('\r');
            if (l.Length == 0 || l.StartsWith("#version", StringComparison.Ordinal)) continue;
            var space = l.IndexOf(' ', 1);
            if (space < 0) throw new TokenizerLoadException($"vocab.bpe line '{l}' is not a merge ('left right')");
            merges.Add((l[..space], l[(space + 1)..]));
        }
        var model = new BpeModel(vocab, merges, new BpeOptions(ByteLevel: true, ByteFallback: false, UnkToken: null, FuseUnk: false, IgnoreMerges: false));
        var added = vocab.TryGetValue(EndOfText, out var eot) ? new List<AddedToken> { new(eot, EndOfText, Special: true) } : [];
        var config = new TokenizerConfig { BosToken = EndOfText, EosToken = EndOfText, TokenizerClass = "GPT2Tokenizer" };
        var parts = new TokenizerParts(null, new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true), model, added, [], [],
            DecoderKind.ByteLevel, 0, false, config);
        return new Tokenizer(parts);
    }
}
