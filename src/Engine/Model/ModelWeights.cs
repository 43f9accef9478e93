using Cluster.Engine.Weights;
using Cluster.Torch;

namespace Cluster.Engine.Model;

/// <summary>All weights of a Llama-family model on one device, loaded by their Hugging Face names.</summary>
public sealed class ModelWeights : IDisposable
{
    private ModelWeights(Tensor embed, IReadOnlyList<LayerWeights> layers, Tensor norm, Tensor lmHead, bool tied)
    {
        Embed = embed;
        Layers = layers;
        Norm = norm;
        LmHead = lmHead;
        _tied = tied;
    }

    private readonly bool _tied;

    public Tensor Embed { get; }               // [vocab, hidden]
    public IReadOnlyList<LayerWeights> Layers { get; }
    public Tensor Norm { get; }                // [hidden]
    public Tensor LmHead { get; }              // [vocab, hidden] (the embedding when tied)

    /// <summary>Total bytes of the weights as held on the device.</summary>
    public long Bytes { get; private init; }

    /// <summary>Reports (parts loaded, parts, bytes loaded, bytes expected, elapsed) after the embedding, each layer and the head.</summary>
    public delegate void LoadProgress(int parts, int totalParts, long bytes, long totalBytes, TimeSpan elapsed);

    public static ModelWeights Load(WeightStore store, ModelConfig c, ScalarType dtype, Device device, LoadProgress? progress = null)
    {
        long h = c.HiddenSize, d = c.HeadDim, qOut = c.NumHeads * d, kvOut = c.NumKvHeads * d, inter = c.IntermediateSize;
        long bytes = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var perLayer = (h * (qOut + 2 * kvOut) + qOut * h + 3 * h * inter + 2 * h + (c.AttentionBias ? qOut + 2 * kvOut : 0)) * dtype.ElementSize();
        var totalBytes = (c.VocabSize * h * (c.TieWordEmbeddings ? 1 : 2) + h) * dtype.ElementSize() + c.NumLayers * perLayer;
        var totalParts = c.NumLayers + 2;
        void Report(int parts) => progress?.Invoke(parts, totalParts, bytes, totalBytes, clock.Elapsed);
        Tensor Get(string name, params long[] shape)
        {
            var t = store.Load(name, shape, dtype, device);
            bytes += shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize();
            return t;
        }
        var embed = Get("model.embed_tokens.weight", c.VocabSize, h);
        Report(1);
        var layers = new List<LayerWeights>(c.NumLayers);
        for (var i = 0; i < c.NumLayers; i++)
        {
            var p = $"model.layers.{i}.";
            using var q = Get(p + "self_attn.q_proj.weight", qOut, h);
            using var k = Get(p + "self_attn.k_proj.weight", kvOut, h);
            using var v = Get(p + "self_attn.v_proj.weight", kvOut, h);
            Tensor? bias = null;
            if (c.AttentionBias)
            {
                using var qb = Get(p + "self_attn.q_proj.bias", qOut);
                using var kb = Get(p + "self_attn.k_proj.bias", kvOut);
                using var vb = Get(p + "self_attn.v_proj.bias", kvOut);
                bias = torch.cat([qb, kb, vb], 0);
            }
            using var gate = Get(p + "mlp.gate_proj.weight", inter, h);
            using var up = Get(p + "mlp.up_proj.weight", inter, h);
            layers.Add(new LayerWeights(
                Get(p + "input_layernorm.weight", h),
                torch.cat([q, k, v], 0),
                bias,
                Get(p + "self_attn.o_proj.weight", h, qOut),
                Get(p + "post_attention_layernorm.weight", h),
                torch.cat([gate, up], 0),
                Get(p + "mlp.down_proj.weight", h, inter)));
            Report(2 + i);
        }
        var norm = Get("model.norm.weight", h);
        var tied = c.TieWordEmbeddings;
        var head = tied ? embed : Get("lm_head.weight", c.VocabSize, h);
        Report(totalParts);
        return new ModelWeights(embed, layers, norm, head, tied) { Bytes = bytes };
    }

    public void Dispose()
    {
        Embed.Dispose();
        foreach (var l in Layers) l.Dispose();
        Norm.Dispose();
        if (!_tied) LmHead.Dispose();
    }
}
