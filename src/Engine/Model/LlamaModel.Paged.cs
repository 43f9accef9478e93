using Cluster.Engine.KvCache;
using Cluster.Torch;
using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Engine.Model;

/// <summary>The forward pass of the serving engine: packed chunks of many sequences over the paged KV cache.</summary>
public sealed partial class LlamaModel
{
    /// <summary>
    /// Runs every chunk of <paramref name="batch"/> (N tokens, packed without padding), writes their K/V into
    /// <paramref name="cache"/>, and returns the logits of each chunk's last token, [C, vocab] float32.
    /// <paramref name="layerComputed"/>, when given, is called with each layer's index once its K/V are written.
    /// </summary>
    public Tensor ForwardPaged(PagedAttentionBatch batch, PagedKvStorage cache, Action<int>? layerComputed = null)
    {
        using var scope = torch.NewDisposeScope();
        return Logits(HiddenPaged(batch, cache, layerComputed)).MoveToOuterDisposeScope();
    }

    /// <summary>The LM head: final-normed hidden states [C, hidden] → logits [C, vocab] float32.</summary>
    public Tensor Logits(Tensor hidden) => F.linear(hidden, Weights.LmHead).to(ScalarType.Float32);

    /// <summary>
    /// <see cref="ForwardPaged"/> up to the LM head: the final-normed hidden states of each chunk's last token, [C, hidden]
    /// (what a decode CUDA graph captures; the LM head runs after it on the real rows only).
    /// </summary>
    public Tensor HiddenPaged(PagedAttentionBatch batch, PagedKvStorage cache, Action<int>? layerComputed = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(cache);
        long n = batch.TokenCount, d = Config.HeadDim;
        using var scope = torch.NewDisposeScope();
        var cos = Rope.Cos.index_select(0, batch.Positions).view(1, n, 1, d);  // [1, N, 1, D]
        var sin = Rope.Sin.index_select(0, batch.Positions).view(1, n, 1, d);  // [1, N, 1, D]
        var x = F.embedding(batch.Tokens.view(1, n), Weights.Embed);            // [1, N, hidden]
        Func<int, Tensor, Tensor> attention = batch.Mode == PagedAttentionMode.Padded
            ? (i, hidden) => PagedAttention(i, hidden, cos, sin, cache, batch)
            : (i, hidden) => VarlenAttention(i, hidden, cos, sin, cache, batch);
        var h = Blocks(x, attention, layerComputed);                             // [1, N, hidden]
        var last = h.view(n, Config.HiddenSize).index_select(0, batch.LastRows);  // [C, hidden]
        return last.MoveToOuterDisposeScope();
    }

    // Both attention paths: the step's q, k, v projections with rotary positions; k and v go into their cache slots.
    // Returns q [1, N, H, D], k and v [1, N, Hkv, D].
    private (Tensor Q, Tensor K, Tensor V) ProjectAndStore(int i, Tensor x, Tensor cos, Tensor sin, PagedKvStorage cache, PagedAttentionBatch batch)
    {
        var w = Weights.Layers[i];
        long n = batch.TokenCount, d = Config.HeadDim, heads = Config.NumHeads, kvHeads = Config.NumKvHeads;
        var qkv = F.linear(x, w.Qkv, w.QkvBias).view(1, n, heads + 2 * kvHeads, d);    // [1, N, H + 2·Hkv, D]
        var q = F.rotary_embedding(qkv.narrow(2, 0, heads), cos, sin);                 // [1, N, H, D]
        var k = F.rotary_embedding(qkv.narrow(2, heads, kvHeads), cos, sin);           // [1, N, Hkv, D]
        var v = qkv.narrow(2, heads + kvHeads, kvHeads);                                // [1, N, Hkv, D]
        cache.Write(i, batch.Slots, k.view(n, kvHeads, d), v.reshape(n, kvHeads, d));   // [N, Hkv, D]
        return (q, k, v);
    }

    // Varlen: each chunk's queries attend causally over its keys, gathered from the cache once per layer with no padding.
    private Tensor VarlenAttention(int i, Tensor x, Tensor cos, Tensor sin, PagedKvStorage cache, PagedAttentionBatch batch)
    {
        var w = Weights.Layers[i];
        long n = batch.TokenCount, d = Config.HeadDim, heads = Config.NumHeads, kvHeads = Config.NumKvHeads;
        var (q, _, _) = ProjectAndStore(i, x, cos, sin, cache, batch);                  // [1, N, H, D]
        if (batch.Mode == PagedAttentionMode.DecodeKernel && (batch.FixedShape || F.paged_decode_attention_is_fused(q.reshape(n, heads, d), cache.SlotKeys(i))))
        {
            return F.linear(DecodeKernelAttention(i, q.reshape(n, heads, d), cache, batch).view(1, n, heads * d), w.O);  // [1, N, hidden]
        }
        var keys = cache.SlotKeys(i).index_select(0, batch.KeySlots!);                  // [K, Hkv, D]
        var values = cache.SlotValues(i).index_select(0, batch.KeySlots!);              // [K, Hkv, D]
        var o = F.varlen_attention(q.reshape(n, heads, d), keys, values, batch.CuQueries!, batch.CuKeys!,
            batch.CuQueriesHost, batch.CuKeysHost, batch.MaxQueries, batch.MaxKeys);    // [N, H, D]
        return F.linear(o.reshape(1, n, heads * d), w.O);                               // [1, N, hidden]
    }

    // Decode kernel: rows 0 … S − 1 (decodes) read their keys through the block tables; the longer chunks after them
    // attend through the varlen call over their own gathered keys. Returns [N, H, D].
    private static Tensor DecodeKernelAttention(int i, Tensor q, PagedKvStorage cache, PagedAttentionBatch batch)
    {
        long n = batch.TokenCount, s = batch.DecodeCount;
        var parts = new List<Tensor>(2);
        if (s > 0)
        {
            parts.Add(F.paged_decode_attention(q.narrow(0, 0, s), cache.SlotKeys(i), cache.SlotValues(i),
                batch.DecodeBlockTables!, batch.DecodeLengths!, batch.BlockSize));                              // [S, H, D]
        }
        if (n > s)
        {
            var keys = cache.SlotKeys(i).index_select(0, batch.PrefillKeySlots!);                              // [Kp, Hkv, D]
            var values = cache.SlotValues(i).index_select(0, batch.PrefillKeySlots!);                          // [Kp, Hkv, D]
            parts.Add(F.varlen_attention(q.narrow(0, s, n - s), keys, values, batch.PrefillCuQueries!, batch.PrefillCuKeys!,
                batch.PrefillCuQueriesHost, batch.PrefillCuKeysHost, batch.PrefillMaxQueries, batch.PrefillMaxKeys));  // [N − S, H, D]
        }
        return parts.Count == 1 ? parts[0] : torch.cat(parts, 0);                                               // [N, H, D]
    }

    private Tensor PagedAttention(int i, Tensor x, Tensor cos, Tensor sin, PagedKvStorage cache, PagedAttentionBatch batch)
    {
        var w = Weights.Layers[i];
        long n = batch.TokenCount, d = Config.HeadDim, heads = Config.NumHeads, kvHeads = Config.NumKvHeads;
        var (q, k, v) = ProjectAndStore(i, x, cos, sin, cache, batch);                  // [1, N, H|Hkv, D]

        var parts = new List<Tensor>();                                                 // each [1, T, H·D]
        if (batch.DecodeCount > 0)
        {
            // Decodes: the G query heads sharing a KV head act as G "query positions" of that head.
            long s = batch.DecodeCount, l = batch.DecodeKeySlots!.size(1);
            var grouped = q.narrow(1, 0, s).reshape(s, kvHeads, Config.QueryGroups, d);                    // [S, Hkv, G, D]
            var slots = batch.DecodeKeySlots.view(s * l);                                                    // [S·L]
            var keys = cache.SlotKeys(i).index_select(0, slots).view(s, l, kvHeads, d).transpose(1, 2);     // [S, Hkv, L, D]
            var values = cache.SlotValues(i).index_select(0, slots).view(s, l, kvHeads, d).transpose(1, 2); // [S, Hkv, L, D]
            var o = F.scaled_dot_product_attention(grouped, keys, values, batch.DecodeMask);               // [S, Hkv, G, D]
            parts.Add(o.reshape(1, s, heads * d));
        }
        foreach (var p in batch.Prefills)
        {
            var query = q.narrow(1, p.Offset, p.Count).transpose(1, 2);                                      // [1, H, T, D]
            Tensor o;                                                                                          // [1, H, T, D]
            if (p.KeySlots is null)
            {
                var keys = k.narrow(1, p.Offset, p.Count).transpose(1, 2);                                   // [1, Hkv, T, D]
                var values = v.narrow(1, p.Offset, p.Count).transpose(1, 2);                                 // [1, Hkv, T, D]
                o = F.scaled_dot_product_attention(query, keys, values, is_causal: true);
            }
            else
            {
                var keys = cache.SlotKeys(i).index_select(0, p.KeySlots).unsqueeze(0).transpose(1, 2);      // [1, Hkv, L, D]
                var values = cache.SlotValues(i).index_select(0, p.KeySlots).unsqueeze(0).transpose(1, 2);  // [1, Hkv, L, D]
                o = F.scaled_dot_product_attention(query, keys, values, p.Mask);
            }
            parts.Add(o.transpose(1, 2).reshape(1, p.Count, heads * d));
        }
        var output = parts.Count == 1 ? parts[0] : torch.cat(parts, 1);                 // [1, N, H·D]
        return F.linear(output, w.O);                                                   // [1, N, hidden]
    }
}
