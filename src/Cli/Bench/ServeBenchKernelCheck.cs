using System.Globalization;
using Cluster.Torch;
using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Cli.Bench;

/// <summary>
/// The varlen attention kernel against its per-chunk reference on one mixed batch shaped like a serving step (decodes
/// over keys of many lengths, a fresh prefill, a prefill continuing over cached keys), in the given dtype
/// on the device; both also against a float32 computation of the same inputs, so the error is read next to the dtype's noise.
/// </summary>
internal static class ServeBenchKernelCheck
{
    public static string Run(Device device, ScalarType dtype, int heads, int kvHeads, int headDim)
    {
        using var scope = torch.NewDisposeScope();
        (int Queries, int Keys)[] chunks = [(1, 37), (1, 700), (1, 129), (1, 1), (1, 512), (200, 200), (100, 612), (1, 64)];
        var cuQ = new long[chunks.Length + 1];
        var cuK = new long[chunks.Length + 1];
        for (var c = 0; c < chunks.Length; c++)
        {
            cuQ[c + 1] = cuQ[c] + chunks[c].Queries;
            cuK[c + 1] = cuK[c] + chunks[c].Keys;
        }
        var q32 = torch.randn([cuQ[^1], heads, headDim], seed: 11).to(device);        // [Nq, H, D]
        var k32 = torch.randn([cuK[^1], kvHeads, headDim], seed: 12).to(device);      // [Nk, Hkv, D]
        var v32 = torch.randn([cuK[^1], kvHeads, headDim], seed: 13).to(device);      // [Nk, Hkv, D]
        Tensor q = q32.to(dtype), k = k32.to(dtype), v = v32.to(dtype);
        var cu = torch.tensor([.. cuQ, .. cuK], device).to(ScalarType.Int32);         // [2(C+1)]
        var cuQDev = cu.narrow(0, 0, cuQ.Length);
        var cuKDev = cu.narrow(0, cuQ.Length, cuK.Length);
        long maxQ = chunks.Max(c => c.Queries), maxK = chunks.Max(c => c.Keys);
        var fused = F.varlen_attention(q, k, v, cuQDev, cuKDev, cuQ, cuK, maxQ, maxK).to(ScalarType.Float32);
        var reference = F.varlen_attention(q, k, v, cuQDev, cuKDev, cuQ, cuK, maxQ, maxK, reference: true).to(ScalarType.Float32);
        var exact = F.varlen_attention(q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32),
            cuQDev, cuKDev, cuQ, cuK, maxQ, maxK, reference: true);
        double MaxDiff(Tensor a, Tensor b) => (a - b).abs().amax().item();
        return string.Create(CultureInfo.InvariantCulture,
            $"varlen attention kernel check ({dtype}, {device}, fused: {F.varlen_attention_is_fused(q)}): max |fused − per-chunk reference| {MaxDiff(fused, reference):G3}; " +
            $"vs float32: fused {MaxDiff(fused, exact):G3}, reference {MaxDiff(reference, exact):G3}");
    }
}
