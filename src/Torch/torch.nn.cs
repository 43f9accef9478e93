using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

public static partial class torch
{
    /// <summary>Neural-network ops (TorchSharp: torch.nn).</summary>
    public static class nn
    {
        /// <summary>Stateless layer functions (TorchSharp: torch.nn.functional).</summary>
        public static class functional
        {
            /// <summary>x @ weightᵀ (+ bias). x [..., in], weight [out, in], bias [out].</summary>
            public static Tensor linear(Tensor x, Tensor weight, Tensor? bias = null)
            {
                if (bias is null) return new(ct_linear(x, weight, IntPtr.Zero));
                var added = false;
                try
                {
                    bias.DangerousAddRef(ref added);
                    return new(ct_linear(x, weight, bias.DangerousGetHandle()));
                }
                finally
                {
                    if (added) bias.DangerousRelease();
                }
            }

            /// <summary>Rows of <paramref name="weight"/> [vocab, dim] picked by integer <paramref name="ids"/>.</summary>
            public static Tensor embedding(Tensor ids, Tensor weight) => new(ct_embedding(weight, ids));

            public static Tensor silu(Tensor x) => x.Un(Tensor.Unary.Silu);

            /// <summary>silu(x[..., :n]) * x[..., n:] for x [..., 2n].</summary>
            public static Tensor swiglu(Tensor x) => new(ct_swiglu(x));

            /// <summary>RMSNorm as Hugging Face computes it: normalise in float32, cast back, scale by weight.</summary>
            public static Tensor rms_norm(Tensor x, Tensor weight, double eps) => new(ct_rms_norm(x, weight, eps));

            /// <summary>
            /// Residual add then RMSNorm in one pass on CUDA: returns (x + delta, rms_norm(x + delta)), rounding
            /// the sum to x's dtype first exactly as the separate ops would.
            /// </summary>
            public static (Tensor sum, Tensor normed) add_rms_norm(Tensor x, Tensor delta, Tensor weight, double eps)
            {
                Check(ct_add_rms_norm(x, delta, weight, eps, out var sum, out var normed));
                return (new Tensor(sum), new Tensor(normed));
            }

            /// <summary>Rotary embedding, rotate-half layout: x * cos + rotate_half(x) * sin.</summary>
            public static Tensor rotary_embedding(Tensor x, Tensor cos, Tensor sin) => new(ct_rope(x, cos, sin));

            /// <summary>True when <see cref="varlen_attention"/> runs one flash-attention call for q (CUDA, half/bfloat16, libtorch 2.2+).</summary>
            public static bool varlen_attention_is_fused(Tensor q) => ct_varlen_flash_applies(q) switch
            {
                1 => true,
                0 => false,
                _ => throw LastError(),
            };

            /// <summary>
            /// Causal attention over packed chunks of different lengths. q [Nq, H, D]: chunk c's queries at rows
            /// cuQ[c] … cuQ[c+1] − 1; k/v [Nk, Hkv, D]: its keys at rows cuK[c] … cuK[c+1] − 1, the queries being the
            /// chunk's last positions (query i of Tq sees keys 0 … Tk − Tq + i). <paramref name="cuQ"/>/<paramref name="cuK"/>:
            /// int32 [C + 1] on q's device; <paramref name="cuQHost"/>/<paramref name="cuKHost"/> the same offsets on the host.
            /// One flash-attention call on CUDA half/bfloat16 (no host synchronisation); elsewhere, or with
            /// <paramref name="reference"/>, one sdpa per chunk. Returns [Nq, H, D].
            /// </summary>
            public static unsafe Tensor varlen_attention(Tensor q, Tensor k, Tensor v, Tensor cuQ, Tensor cuK, long[] cuQHost, long[] cuKHost,
                long maxQ, long maxK, double? scale = null, bool reference = false)
            {
                ArgumentNullException.ThrowIfNull(cuQHost);
                ArgumentNullException.ThrowIfNull(cuKHost);
                if (cuQHost.Length < 2 || cuKHost.Length != cuQHost.Length)
                {
                    throw new ArgumentException($"cumulative lengths need C + 1 ≥ 2 entries each, got {cuQHost.Length} and {cuKHost.Length}", nameof(cuKHost));
                }
                var s = scale ?? 1.0 / Math.Sqrt(q.size(-1));
                fixed (long* pq = cuQHost)
                fixed (long* pk = cuKHost)
                {
                    return new(ct_varlen_attention(q, k, v, cuQ, cuK, pq, pk, cuQHost.Length - 1, maxQ, maxK, s, reference ? 1 : 0));
                }
            }

            /// <summary>
            /// True when <see cref="paged_decode_attention"/> runs the CUDA kernel for q and cache k (the native library built
            /// with CUDA kernels, q on CUDA in half/bfloat16, head size 32/64/128/256, 1/2/4/8 query heads per KV head).
            /// </summary>
            public static bool paged_decode_attention_is_fused(Tensor q, Tensor kCache) => ct_paged_decode_applies(q, kCache) switch
            {
                1 => true,
                0 => false,
                _ => throw LastError(),
            };

            /// <summary>
            /// Decode attention over the paged KV cache: sequence s's one query q[s] [Hq, D] attends over its keys 0 …
            /// lengths[s] − 1, key p lying in cache slot blockTables[s, p / blockSize] · blockSize + p % blockSize.
            /// q [S, Hq, D]; kCache/vCache [slots, Hkv, D] (Hq a multiple of Hkv); blockTables int32 [S, maxBlocks];
            /// lengths int32 [S], all on one device. Returns [S, Hq, D]. The CUDA kernel where
            /// <see cref="paged_decode_attention_is_fused"/> (float32 accumulation; <paramref name="splits"/> key-range
            /// splits per sequence, 0 = chosen from the shapes); elsewhere, or with <paramref name="reference"/>, a float32
            /// computation with ATen ops over the gathered keys (synchronises with the device).
            /// </summary>
            public static Tensor paged_decode_attention(Tensor q, Tensor kCache, Tensor vCache, Tensor blockTables, Tensor lengths, int blockSize,
                double? scale = null, int splits = 0, bool reference = false)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(splits);
                var s = scale ?? 1.0 / Math.Sqrt(q.size(-1));
                return new(ct_paged_decode_attention(q, kCache, vCache, blockTables, lengths, blockSize, s, splits, reference ? 1 : 0));
            }

            /// <summary>
            /// Attention. q [B, H, Tq, D], k/v [B, Hkv, Tk, D] with H a multiple of Hkv (grouped-query);
            /// mask bool (true = attend) or additive, broadcastable to [B, H, Tq, Tk]; causal aligns the
            /// last query with the last key. Uses libtorch's fused kernel where present (2.1+ on CUDA).
            /// </summary>
            public static Tensor scaled_dot_product_attention(Tensor q, Tensor k, Tensor v, Tensor? attn_mask = null, bool is_causal = false, double? scale = null)
            {
                var s = scale ?? 1.0 / Math.Sqrt(q.size(-1));
                if (attn_mask is null) return new(ct_sdpa(q, k, v, IntPtr.Zero, is_causal ? 1 : 0, s));
                var added = false;
                try
                {
                    attn_mask.DangerousAddRef(ref added);
                    return new(ct_sdpa(q, k, v, attn_mask.DangerousGetHandle(), is_causal ? 1 : 0, s));
                }
                finally
                {
                    if (added) attn_mask.DangerousRelease();
                }
            }
        }
    }
}
