using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Torch.Tests;

/// <summary>Attention over packed chunks of different lengths against the causal formula computed here in double precision.</summary>
public sealed class VarlenAttentionTests
{
    private const int Heads = 4, KvHeads = 2, Dim = 4;

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void VarlenAttention_DecodeFreshAndContinuingChunks_MatchCausalFormulaBottomRight()
    {
        (int Queries, int Keys)[] chunks = [(1, 3), (3, 3), (2, 5), (1, 1)];   // decode, fresh prefill, continuing chunk, first token
        long[] cuQ = [0, 1, 4, 6, 7], cuK = [0, 3, 6, 11, 12];
        var q = Random(7 * Heads * Dim, 1);
        var k = Random(12 * KvHeads * Dim, 2);
        var v = Random(12 * KvHeads * Dim, 3);
        using var scope = torch.NewDisposeScope();
        var cu = torch.tensor([.. cuQ, .. cuK]).to(ScalarType.Int32);
        var output = F.varlen_attention(
            torch.tensor(q, [7, Heads, Dim]), torch.tensor(k, [12, KvHeads, Dim]), torch.tensor(v, [12, KvHeads, Dim]),
            cu.narrow(0, 0, 5), cu.narrow(0, 5, 5), cuQ, cuK, maxQ: 3, maxK: 5).data<float>();
        Assert.Equal(7 * Heads * Dim, output.Length);
        var scale = 1 / Math.Sqrt(Dim);
        for (var c = 0; c < chunks.Length; c++)
        {
            var (tq, tk) = chunks[c];
            for (var i = 0; i < tq; i++)
            {
                var row = cuQ[c] + i;
                for (var h = 0; h < Heads; h++)
                {
                    var kvh = h / (Heads / KvHeads);
                    var visible = tk - tq + i + 1;   // query i sees keys 0 … Tk − Tq + i
                    var scores = Enumerable.Range(0, visible).Select(j =>
                        scale * Enumerable.Range(0, Dim).Sum(x => (double)q[(row * Heads + h) * Dim + x] * k[((cuK[c] + j) * KvHeads + kvh) * Dim + x])).ToArray();
                    var max = scores.Max();
                    var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var total = weights.Sum();
                    for (var x = 0; x < Dim; x++)
                    {
                        var expected = Enumerable.Range(0, visible).Sum(j => weights[j] / total * v[((cuK[c] + j) * KvHeads + kvh) * Dim + x]);
                        Assert.Equal(expected, output[(row * Heads + h) * Dim + x], 5);
                    }
                }
            }
        }
    }

    [Fact]
    public void VarlenAttention_OffsetsNotCoveringKeys_ThrowsNamingTheMismatch()
    {
        using var scope = torch.NewDisposeScope();
        var q = torch.zeros([2, Heads, Dim]);
        var kv = torch.zeros([3, KvHeads, Dim]);
        var cu = torch.tensor([0L, 2, 0, 2]).to(ScalarType.Int32);
        var error = Assert.Throws<TorchException>(() =>
            F.varlen_attention(q, kv, kv, cu.narrow(0, 0, 2), cu.narrow(0, 2, 2), [0, 2], [0, 2], maxQ: 2, maxK: 2));
        Assert.Contains("cumulative lengths", error.Message);
    }

    [Fact]
    public void VarlenAttention_OnCpu_IsNotFused()
    {
        using var q = torch.zeros([1, Heads, Dim]);
        Assert.False(F.varlen_attention_is_fused(q));
    }
}
