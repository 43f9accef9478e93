using System.Text.Json;

namespace Cluster.Tokenization.Loading;

/// <summary>Small typed accessors over tokenizer.json elements with errors that name the field.</summary>
internal static class Json
{
    public static string Type(JsonElement e, string what) =>
        e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!
            : throw new TokenizerLoadException($"tokenizer.json {what} has no \"type\": {Truncate(e.GetRawText())}");

    public static string String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new TokenizerLoadException($"tokenizer.json: expected string \"{name}\" in {Truncate(e.GetRawText())}");

    public static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool Bool(JsonElement e, string name, bool fallback) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    public static int Int(JsonElement e, string name, int fallback) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    public static JsonElement Property(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v : default;

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200] + "...";
}
