using Cluster.Engine.Weights;
using Cluster.Torch;
using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Engine.Model;

/// <summary>
/// A Llama-family decoder (Llama 2/3/3.x, Mistral, Qwen2, TinyLlama, SmolLM): embedding, N blocks of
/// RMSNorm → grouped-query attention with RoPE → residual → RMSNorm → SwiGLU → residual, final RMSNorm, LM head.
/// Precision follows Hugging Face: norms in float32, everything else in the model dtype, logits in float32.
/// </summary>
public sealed partial class LlamaModel : IDisposable
{
    private LlamaModel(ModelConfig config, ModelWeights weights, RotaryEmbedding rope, ScalarType dtype, Device device)
    {
        Config = config;
        Weights = weights;
        Rope = rope;
        DType = dtype;
        Device = device;
    }

    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    public RotaryEmbedding Rope { get; }
    public ScalarType DType { get; }
    public Device Device { get; }

    /// <summary>Positions the rotary tables cover: the longest sequence this instance can run.</summary>
    public int MaxPositions => (int)Rope.Cos.size(0);

    /// <summary>Loads config.json and the safetensors weights of <paramref name="directory"/> onto <paramref name="device"/>.</summary>
    /// <remarks><paramref name="progress"/> hears after the embedding, each decoder layer and the head.</remarks>
    public static LlamaModel Load(string directory, Device device, ScalarType dtype, int maxPositions = 4096, IProgress<ModelLoadProgress>? progress = null)
    {
        var config = HfConfigReader.Read(directory);
        using var store = new WeightStore(directory);
        var weights = ModelWeights.Load(store, config, dtype, device, progress is null ? null : (parts, total, bytes, totalBytes, elapsed) =>
            progress.Report(new ModelLoadProgress(directory, parts, total, bytes, totalBytes, elapsed)));
        // Within a sliding window full attention is exact; sequences are not allowed to outgrow it.
        var limit = Math.Min(config.MaxPositionEmbeddings, config.SlidingWindow ?? int.MaxValue);
        var rope = new RotaryEmbedding(config, Math.Min(maxPositions, limit), dtype, device);
        return new LlamaModel(config, weights, rope, dtype, device);
    }

    public ContiguousKvCache CreateCache(int batch, int maxLength) => new(Config, batch, maxLength, DType, Device);

    /// <summary>
    /// tokens, positions [B, T] int64 → logits [B, T, vocab] float32 ([B, 1, vocab] with <paramref name="lastOnly"/>).
    /// <paramref name="freshPrefill"/>: every sequence starts at position 0 (attend over the new tokens only).
    /// Runs no host synchronisation, so a decode step can be captured in a CUDA graph.
    /// </summary>
    public Tensor Forward(Tensor tokens, Tensor positions, ContiguousKvCache cache, bool freshPrefill, bool lastOnly)
    {
        long b = tokens.size(0), t = tokens.size(1), d = Config.HeadDim;
        using var scope = torch.NewDisposeScope();
        var batch = AttentionBatch.Create(cache, positions, freshPrefill);
        var flat = positions.view(b * t);                                   // [B·T]
        var cos = Rope.Cos.index_select(0, flat).view(b, t, 1, d);          // [B, T, 1, D]
        var sin = Rope.Sin.index_select(0, flat).view(b, t, 1, d);          // [B, T, 1, D]
        var x = F.embedding(tokens, Weights.Embed);                         // [B, T, hidden]
        var h = Blocks(x, (i, hidden) => Attention(i, hidden, cos, sin, cache, batch));  // [B, T, hidden], final-normed
        if (lastOnly) h = h.narrow(1, t - 1, 1);                            // [B, 1, hidden]
        var logits = F.linear(h, Weights.LmHead).to(ScalarType.Float32);     // [B, T', vocab]
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Every decoder block over the embeddings <paramref name="x"/>: x += attention(norm(x)); x += feed_forward(norm(x)).
    /// Each residual add is fused with the norm that follows it (the next block's input norm, or the final norm), and
    /// a scope per block frees its temporaries before the next block runs. Returns the final-normed hidden states.
    /// </summary>
    private Tensor Blocks(Tensor x, Func<int, Tensor, Tensor> attention, Action<int>? layerComputed = null)
    {
        var layers = Weights.Layers;
        var h = F.rms_norm(x, layers[0].InputNorm, Config.RmsNormEps);
        for (var i = 0; i < Config.NumLayers; i++)
        {
            using var block = torch.NewDisposeScope();
            var (mid, hMid) = F.add_rms_norm(x, attention(i, h), layers[i].PostAttentionNorm, Config.RmsNormEps);
            var next = i + 1 < layers.Count ? layers[i + 1].InputNorm : Weights.Norm;
            var (xOut, hOut) = F.add_rms_norm(mid, FeedForward(layers[i], hMid), next, Config.RmsNormEps);
            x.Dispose();
            h.Dispose();
            x = xOut.MoveToOuterDisposeScope();
            h = hOut.MoveToOuterDisposeScope();
            layerComputed?.Invoke(i);   // layer i's K/V are in the cache (KV streaming)
        }

        return h;
    }

    private Tensor Attention(int i, Tensor x, Tensor cos, Tensor sin, ContiguousKvCache cache, AttentionBatch batch)
    {
        var w = Weights.Layers[i];
        long b = x.size(0), t = x.size(1), d = Config.HeadDim, heads = Config.NumHeads, kvHeads = Config.NumKvHeads;
        var qkv = F.linear(x, w.Qkv, w.QkvBias).view(b, t, heads + 2 * kvHeads, d);   // [B, T, H + 2·Hkv, D]
        var q = F.rotary_embedding(qkv.narrow(2, 0, heads), cos, sin);                // [B, T, H, D]
        var k = F.rotary_embedding(qkv.narrow(2, heads, kvHeads), cos, sin);          // [B, T, Hkv, D]
        var v = qkv.narrow(2, heads + kvHeads, kvHeads);                               // [B, T, Hkv, D]
        cache.Write(i, batch.Slots, k.view(b * t, kvHeads, d), v.reshape(b * t, kvHeads, d));  // [B·T, Hkv, D]

        Tensor output;                                                                  // [B, T, H·D]
        if (batch.FreshPrefill)
        {
            var o = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal: true); // [B, H, T, D]
            output = o.transpose(1, 2).reshape(b, t, heads * d);
        }
        else if (t == 1)
        {
            // Decode: the G query heads sharing a KV head act as G "query positions" of that head.
            var grouped = q.view(b, kvHeads, Config.QueryGroups, d);                   // [B, Hkv, G, D]
            var o = F.scaled_dot_product_attention(grouped, cache.Keys(i), cache.Values(i), batch.Mask); // [B, Hkv, G, D]
            output = o.reshape(b, 1, heads * d);
        }
        else
        {
            var o = F.scaled_dot_product_attention(q.transpose(1, 2), cache.Keys(i), cache.Values(i), batch.Mask); // [B, H, T, D]
            output = o.transpose(1, 2).reshape(b, t, heads * d);
        }
        return F.linear(output, w.O);                                                   // [B, T, hidden]
    }

    private static Tensor FeedForward(LayerWeights w, Tensor x) =>
        F.linear(F.swiglu(F.linear(x, w.GateUp)), w.Down);                              // [B, T, 2·I] → [B, T, I] → [B, T, hidden]

    public void Dispose()
    {
        Weights.Dispose();
        Rope.Dispose();
    }
}
