using System.Text.Json;

namespace Cluster.Tokenization;

/// <summary>The parts of tokenizer_config.json the tokenizer and chat templates use.</summary>
public sealed record TokenizerConfig
{
    public string? TokenizerClass { get; init; }
    public bool? AddBosToken { get; init; }
    public bool? AddEosToken { get; init; }
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? UnkToken { get; init; }
    public string? PadToken { get; init; }
    public bool CleanUpTokenizationSpaces { get; init; }

    /// <summary>Named chat templates; a plain string template is named "default".</summary>
    public IReadOnlyDictionary<string, string> ChatTemplates { get; init; } = new Dictionary<string, string>();

    public static TokenizerConfig Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        return new TokenizerConfig
        {
            TokenizerClass = Str(root, "tokenizer_class"),
            AddBosToken = Bool(root, "add_bos_token"),
            AddEosToken = Bool(root, "add_eos_token"),
            BosToken = TokenText(root, "bos_token"),
            EosToken = TokenText(root, "eos_token"),
            UnkToken = TokenText(root, "unk_token"),
            PadToken = TokenText(root, "pad_token"),
            CleanUpTokenizationSpaces = Bool(root, "clean_up_tokenization_spaces") ?? false,
            ChatTemplates = Templates(root),
        };
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    /// <summary>A special token is either a string or an AddedToken object with "content".</summary>
    private static string? TokenText(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        };
    }

    private static Dictionary<string, string> Templates(JsonElement root)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("chat_template", out var t)) return result;
        if (t.ValueKind == JsonValueKind.String) result["default"] = t.GetString()!;
        else if (t.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in t.EnumerateArray())
                result[item.GetProperty("name").GetString()!] = item.GetProperty("template").GetString()!;
        }
        return result;
    }
}
