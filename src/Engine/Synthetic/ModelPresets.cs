using Cluster.Engine.Model;

namespace Cluster.Engine.Synthetic;

/// <summary>
/// Shapes for random-weight models: "tiny"/"tiny-qwen2" for tests, and the real shapes of Llama-3.2-1B,
/// Llama-3.1-8B and Qwen2.5-0.5B. The vocabulary is byte-level: ids 0–255 are bytes, then BOS, EOS, reserved.
/// </summary>
public static class ModelPresets
{
    public const int BosId = 256;
    public const int EosId = 257;

    private static readonly RopeScaling Llama32Rope = new("llama3", 32, 1, 4, 8192);
    private static readonly RopeScaling Llama31Rope = new("llama3", 8, 1, 4, 8192);

    public static IReadOnlyList<string> Names { get; } = ["tiny", "tiny-qwen2", "llama-3.2-1b", "llama-3.1-8b", "qwen2.5-0.5b"];

    public static ModelConfig Get(string name) => name.ToLowerInvariant() switch
    {
        "tiny" => Llama(hidden: 64, inter: 192, layers: 2, heads: 4, kv: 2, vocab: 320, theta: 500000, Llama32Rope, tie: false, maxPos: 2048),
        "tiny-qwen2" => Qwen2(hidden: 64, inter: 160, layers: 2, heads: 4, kv: 2, vocab: 320, maxPos: 2048),
        "llama-3.2-1b" => Llama(hidden: 2048, inter: 8192, layers: 16, heads: 32, kv: 8, vocab: 128256, theta: 500000, Llama32Rope, tie: true, maxPos: 131072),
        "llama-3.1-8b" => Llama(hidden: 4096, inter: 14336, layers: 32, heads: 32, kv: 8, vocab: 128256, theta: 500000, Llama31Rope, tie: false, maxPos: 131072),
        "qwen2.5-0.5b" => Qwen2(hidden: 896, inter: 4864, layers: 24, heads: 14, kv: 2, vocab: 151936, maxPos: 32768),
        _ => throw new ArgumentException($"unknown preset '{name}' (known: {string.Join(", ", Names)})", nameof(name)),
    };

    private static ModelConfig Llama(int hidden, int inter, int layers, int heads, int kv, int vocab, double theta, RopeScaling? rope, bool tie, int maxPos) => new()
    {
        Architecture = "LlamaForCausalLM",
        ModelType = "llama",
        VocabSize = vocab,
        HiddenSize = hidden,
        IntermediateSize = inter,
        NumLayers = layers,
        NumHeads = heads,
        NumKvHeads = kv,
        HeadDim = hidden / heads,
        RmsNormEps = 1e-5,
        RopeTheta = theta,
        RopeScaling = rope,
        MaxPositionEmbeddings = maxPos,
        TieWordEmbeddings = tie,
        BosTokenId = BosId,
        EosTokenIds = [EosId],
    };

    // Qwen2 is the Llama layout with qkv bias, a smaller norm epsilon, tied embeddings and no rope scaling.
    private static ModelConfig Qwen2(int hidden, int inter, int layers, int heads, int kv, int vocab, int maxPos) =>
        Llama(hidden, inter, layers, heads, kv, vocab, theta: 1000000, rope: null, tie: true, maxPos) with
        {
            Architecture = "Qwen2ForCausalLM",
            ModelType = "qwen2",
            RmsNormEps = 1e-6,
            AttentionBias = true,
        };
}
