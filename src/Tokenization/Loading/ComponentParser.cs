using System.Text.Json;
using System.Text.RegularExpressions;
using Cluster.Tokenization.Normalizers;
using Cluster.Tokenization.PreTokenizers;

namespace Cluster.Tokenization.Loading;

/// <summary>Builds normalizers and pre-tokenizers from tokenizer.json, naming whatever is unsupported.</summary>
internal static class ComponentParser
{
    private const string SupportedNormalizers = "Sequence, Prepend, Replace, NFC, Lowercase";
    private const string SupportedPreTokenizers = "Sequence, Split, ByteLevel, Metaspace, Digits";

    public static TextNormalizer? Normalizer(JsonElement e)
    {
        if (e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        var type = Json.Type(e, "normalizer");
        return type switch
        {
            "Sequence" => new SequenceNormalizer([.. e.GetProperty("normalizers").EnumerateArray().Select(n => Normalizer(n)!)]),
            "Prepend" => new PrependNormalizer(Json.String(e, "prepend")),
            "Replace" => Replace(e),
            "NFC" => new NfcNormalizer(),
            "Lowercase" => new LowercaseNormalizer(),
            _ => throw new TokenizerLoadException($"tokenizer.json normalizer type '{type}' is not supported; supported: {SupportedNormalizers}"),
        };
    }

    public static PreTokenizer? PreTokenizer(JsonElement e)
    {
        if (e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        var type = Json.Type(e, "pre_tokenizer");
        switch (type)
        {
            case "Sequence":
                return new SequencePreTokenizer([.. e.GetProperty("pretokenizers").EnumerateArray().Select(p => PreTokenizer(p)!)]);
            case "Split":
                if (Json.Bool(e, "invert", false))
                    throw new TokenizerLoadException("tokenizer.json Split pre-tokenizer with invert=true is not supported");
                var (pattern, isRegex) = Pattern(e.GetProperty("pattern"));
                return new SplitPreTokenizer(pattern, isRegex, Json.String(e, "behavior"));
            case "ByteLevel":
                return new ByteLevelPreTokenizer(Json.Bool(e, "add_prefix_space", true), Json.Bool(e, "use_regex", true));
            case "Metaspace":
                return new MetaspacePreTokenizer(Json.String(e, "replacement")[0], PrependScheme(e), Json.Bool(e, "split", true));
            case "Digits":
                return new DigitsPreTokenizer(Json.Bool(e, "individual_digits", false));
            default:
                throw new TokenizerLoadException($"tokenizer.json pre_tokenizer type '{type}' is not supported; supported: {SupportedPreTokenizers}");
        }
    }

    public static string PrependScheme(JsonElement e) =>
        e.TryGetProperty("prepend_scheme", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()!
        : Json.Bool(e, "add_prefix_space", true) ? "always" : "never";

    private static ReplaceNormalizer Replace(JsonElement e)
    {
        var (pattern, isRegex) = Pattern(e.GetProperty("pattern"));
        var content = Json.String(e, "content");
        return isRegex ? new ReplaceNormalizer(null, new Regex(pattern, RegexOptions.CultureInvariant), content) : new ReplaceNormalizer(pattern, null, content);
    }

    private static (string Pattern, bool IsRegex) Pattern(JsonElement p)
    {
        if (p.TryGetProperty("Regex", out var r)) return (r.GetString()!, true);
        if (p.TryGetProperty("String", out var s)) return (s.GetString()!, false);
        throw new TokenizerLoadException($"tokenizer.json pattern must be {{\"String\":...}} or {{\"Regex\":...}}, got {p.GetRawText()}");
    }
}
