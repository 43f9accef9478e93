using System.Text.Json;

namespace Cluster.Cli.Bench;

/// <summary>
/// What <c>bench disagg</c> needs from a model's config.json: the vocabulary (prompts are random token ids below the
/// special ids) and the KV cache's bytes per token (layers × 2 × kv heads × head dim × element size).
/// </summary>
public sealed record DisaggBenchModelShape(int VocabSize, int Layers, int KvHeads, int HeadDim, IReadOnlySet<int> SpecialIds)
{
    /// <summary>Highest token id (exclusive) prompts use: below the special ids when they sit at the top of the vocabulary (Llama 3: 128000+).</summary>
    public int PromptIdLimit => SpecialIds.Count > 0 && SpecialIds.Min() > VocabSize / 2 ? SpecialIds.Min() : VocabSize;

    /// <summary>Lowest token id prompts use (skips control bytes / low special ids of small vocabularies).</summary>
    public int PromptIdStart => PromptIdLimit > 64 ? 32 : 0;

    /// <summary>KV bytes of one token across all layers at <paramref name="elementSize"/> bytes per value.</summary>
    public long KvBytesPerToken(int elementSize) => (long)Layers * 2 * KvHeads * HeadDim * elementSize;

    /// <summary>Element size of the workers' KV cache: Worker:DType when set, else bf16 (2) on CUDA and fp32 (4) on the CPU.</summary>
    public static int ElementSize(string device, string? dtype) => (dtype ?? "").ToLowerInvariant() switch
    {
        "bf16" or "bfloat16" or "fp16" or "float16" or "half" => 2,
        "fp32" or "float32" or "float" => 4,
        _ => device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) ? 2 : 4,
    };

    public static DisaggBenchModelShape Read(string modelPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelPath, "config.json")));
        var c = doc.RootElement;
        int Int(string name, int fallback) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
        var heads = Int("num_attention_heads", 1);
        var specials = new HashSet<int>();
        foreach (var name in new[] { "bos_token_id", "eos_token_id", "pad_token_id" })
        {
            if (!c.TryGetProperty(name, out var v))
            {
                continue;
            }

            if (v.ValueKind == JsonValueKind.Number)
            {
                specials.Add(v.GetInt32());
            }
            else if (v.ValueKind == JsonValueKind.Array)
            {
                specials.UnionWith(v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetInt32()));
            }
        }

        return new DisaggBenchModelShape(Int("vocab_size", 256), Int("num_hidden_layers", 1), Int("num_key_value_heads", heads),
            Int("head_dim", Int("hidden_size", heads) / heads), specials);
    }
}
