using System.Text.Json;
using Cluster.Engine.Model;

namespace Cluster.Engine.Weights;

/// <summary>Reads a Hugging Face config.json of a Llama-family model into a <see cref="ModelConfig"/>.</summary>
public static class HfConfigReader
{
    /// <summary>Architectures this engine runs (Llama 2/3/3.1/3.2, TinyLlama and SmolLM are LlamaForCausalLM).</summary>
    public static readonly IReadOnlyList<string> Supported = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"];

    public static ModelConfig Read(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"no config.json in {modelDirectory}", path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return Parse(doc.RootElement, path);
    }

    public static ModelConfig Parse(JsonElement c, string source)
    {
        var arch = c.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
            ? a[0].GetString()! : throw new InvalidDataException($"{source}: no 'architectures' entry");
        if (!Supported.Contains(arch))
        {
            throw new NotSupportedException($"{source}: architecture '{arch}' is not supported (supported: {string.Join(", ", Supported)})");
        }
        var hidden = Int(c, "hidden_size", source);
        var heads = Int(c, "num_attention_heads", source);
        var kvHeads = OptInt(c, "num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0) throw new InvalidDataException($"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        var modelType = OptString(c, "model_type") ?? "llama";
        return new ModelConfig
        {
            Architecture = arch,
            ModelType = modelType,
            VocabSize = Int(c, "vocab_size", source),
            HiddenSize = hidden,
            IntermediateSize = Int(c, "intermediate_size", source),
            NumLayers = Int(c, "num_hidden_layers", source),
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = OptInt(c, "head_dim") ?? hidden / heads,
            RmsNormEps = OptDouble(c, "rms_norm_eps") ?? 1e-6,
            RopeTheta = OptDouble(c, "rope_theta") ?? 10000,
            RopeScaling = ReadRopeScaling(c, source),
            MaxPositionEmbeddings = OptInt(c, "max_position_embeddings") ?? 4096,
            TieWordEmbeddings = c.TryGetProperty("tie_word_embeddings", out var t) && t.ValueKind == JsonValueKind.True,
            AttentionBias = arch == "Qwen2ForCausalLM" ||
                            (c.TryGetProperty("attention_bias", out var ab) && ab.ValueKind == JsonValueKind.True),
            BosTokenId = OptInt(c, "bos_token_id"),
            EosTokenIds = ReadIds(c, "eos_token_id"),
            TorchDtype = OptString(c, "torch_dtype") ?? OptString(c, "dtype"),
            SlidingWindow = arch == "Qwen2ForCausalLM" && !(c.TryGetProperty("use_sliding_window", out var sw) && sw.ValueKind == JsonValueKind.True)
                ? null : OptInt(c, "sliding_window"),
        };
    }

    private static RopeScaling? ReadRopeScaling(JsonElement c, string source)
    {
        if (!c.TryGetProperty("rope_scaling", out var r) || r.ValueKind != JsonValueKind.Object) return null;
        var type = OptString(r, "rope_type") ?? OptString(r, "type") ?? "default";
        if (type is not ("default" or "llama3"))
        {
            throw new NotSupportedException($"{source}: rope_scaling type '{type}' is not supported (supported: default, llama3)");
        }
        return new RopeScaling(type, OptDouble(r, "factor") ?? 1, OptDouble(r, "low_freq_factor") ?? 1,
            OptDouble(r, "high_freq_factor") ?? 4, OptInt(r, "original_max_position_embeddings") ?? 8192);
    }

    internal static IReadOnlyList<int> ReadIds(JsonElement c, string name)
    {
        if (!c.TryGetProperty(name, out var v)) return [];
        return v.ValueKind switch
        {
            JsonValueKind.Number => [v.GetInt32()],
            JsonValueKind.Array => v.EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            _ => [],
        };
    }

    private static int Int(JsonElement c, string name, string source) =>
        OptInt(c, name) ?? throw new InvalidDataException($"{source}: missing '{name}'");

    private static int? OptInt(JsonElement c, string name) =>
        c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static double? OptDouble(JsonElement c, string name) =>
        c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string? OptString(JsonElement c, string name) =>
        c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
