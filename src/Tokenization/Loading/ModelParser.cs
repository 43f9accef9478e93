using System.Text.Json;
using Cluster.Tokenization.Decoding;
using Cluster.Tokenization.Models;

namespace Cluster.Tokenization.Loading;

/// <summary>Builds the BPE model, the decoder settings and the post-processor from tokenizer.json.</summary>
internal static class ModelParser
{
    /// <summary>Fails first, before anything else is parsed, when the model is not BPE.</summary>
    public static void CheckType(JsonElement e)
    {
        var type = e.TryGetProperty("type", out var t) ? t.GetString() : e.TryGetProperty("merges", out _) ? "BPE" : "(none)";
        if (type != "BPE") throw new TokenizerLoadException($"tokenizer.json model type '{type}' is not supported; supported: BPE");
    }

    public static BpeModel Model(JsonElement e, bool byteLevel)
    {
        CheckType(e);
        if (e.TryGetProperty("dropout", out var d) && d.ValueKind == JsonValueKind.Number && d.GetDouble() > 0)
            throw new TokenizerLoadException("tokenizer.json BPE dropout is not supported (inference needs deterministic ids)");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (Json.OptionalString(e, affix) is { Length: > 0 } value)
                throw new TokenizerLoadException($"tokenizer.json BPE {affix} '{value}' is not supported; supported: empty or null");
        }
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in e.GetProperty("vocab").EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();
        var merges = new List<(string, string)>();
        foreach (var m in e.GetProperty("merges").EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Array) merges.Add((m[0].GetString()!, m[1].GetString()!));
            else
            {
                var s = m.GetString()!;
                var space = s.IndexOf(' ', 1);
                if (space < 0) throw new TokenizerLoadException($"tokenizer.json BPE merge '{s}' has no space separator");
                merges.Add((s[..space], s[(space + 1)..]));
            }
        }
        var options = new BpeOptions(byteLevel, Json.Bool(e, "byte_fallback", false), Json.OptionalString(e, "unk_token"),
            Json.Bool(e, "fuse_unk", false), Json.Bool(e, "ignore_merges", false));
        return new BpeModel(vocab, merges, options);
    }

    /// <summary>Decoder kind, the number of leading spaces to strip, and whether &lt;0xXX&gt; tokens become bytes.</summary>
    public static (DecoderKind Kind, int Strip, bool ByteFallback) Decoder(JsonElement e)
    {
        if (e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            throw new TokenizerLoadException("tokenizer.json has no decoder; supported: ByteLevel, Metaspace, Sequence of Replace(▁→space)/ByteFallback/Fuse/Strip");
        var type = Json.Type(e, "decoder");
        switch (type)
        {
            case "ByteLevel": return (DecoderKind.ByteLevel, 0, false);
            case "Metaspace": return (DecoderKind.SentencePiece, ComponentParser.PrependScheme(e) == "never" ? 0 : 1, false);
            case "Sequence":
                var kind = (DecoderKind?)null;
                var strip = 0;
                var byteFallback = false;
                foreach (var step in e.GetProperty("decoders").EnumerateArray())
                {
                    var s = Json.Type(step, "decoder");
                    switch (s)
                    {
                        case "ByteLevel": kind = DecoderKind.ByteLevel; break;
                        case "Replace" when step.GetProperty("pattern").TryGetProperty("String", out var p) && p.GetString() == "\u2581" && Json.String(step, "content") == " ":
                            kind = DecoderKind.SentencePiece; break;
                        case "ByteFallback": byteFallback = true; break;
                        case "Fuse": break;
                        case "Strip" when Json.String(step, "content") == " " && Json.Int(step, "stop", 0) == 0:
                            strip = Json.Int(step, "start", 0); break;
                        case "Metaspace": kind = DecoderKind.SentencePiece; strip = ComponentParser.PrependScheme(step) == "never" ? 0 : 1; break;
                        default: throw new TokenizerLoadException($"tokenizer.json decoder step '{s}' ({step.GetRawText()}) is not supported; supported: ByteLevel, Metaspace, Replace(▁→space), ByteFallback, Fuse, Strip(space, start, stop=0)");
                    }
                }
                return (kind ?? throw new TokenizerLoadException("tokenizer.json decoder Sequence has neither ByteLevel nor Replace(▁→space)"), strip, byteFallback);
            default:
                throw new TokenizerLoadException($"tokenizer.json decoder type '{type}' is not supported; supported: ByteLevel, Metaspace, Sequence");
        }
    }

    /// <summary>Ids added before and after a single sequence by the post-processor.</summary>
    public static (List<int> Prefix, List<int> Suffix) PostProcessor(JsonElement e)
    {
        var prefix = new List<int>();
        var suffix = new List<int>();
        if (e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return (prefix, suffix);
        var type = Json.Type(e, "post_processor");
        switch (type)
        {
            case "ByteLevel": break;
            case "Sequence":
                foreach (var p in e.GetProperty("processors").EnumerateArray())
                {
                    var (a, b) = PostProcessor(p);
                    prefix.AddRange(a);
                    suffix.InsertRange(0, b);
                }
                break;
            case "TemplateProcessing":
                var specials = e.GetProperty("special_tokens");
                var seenSequence = false;
                foreach (var item in e.GetProperty("single").EnumerateArray())
                {
                    if (item.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
                    var name = item.GetProperty("SpecialToken").GetProperty("id").GetString()!;
                    var ids = specials.GetProperty(name).GetProperty("ids").EnumerateArray().Select(x => x.GetInt32());
                    (seenSequence ? suffix : prefix).AddRange(ids);
                }
                break;
            default:
                throw new TokenizerLoadException($"tokenizer.json post_processor type '{type}' is not supported; supported: TemplateProcessing, ByteLevel, Sequence");
        }
        return (prefix, suffix);
    }
}
