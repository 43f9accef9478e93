using Cluster.Torch;
using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Torch.Tests;

/// <summary>The fused ops against plain formulas computed here in double precision.</summary>
public sealed class NnFunctionalTests
{
    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void RmsNorm_MatchesFormula()
    {
        var x = Random(8, 1);
        var w = Random(4, 2);
        using var scope = torch.NewDisposeScope();
        var y = F.rms_norm(torch.tensor(x, [2, 4]), torch.tensor(w, [4]), 1e-5).data<float>();
        for (var row = 0; row < 2; row++)
        {
            var ms = Enumerable.Range(0, 4).Sum(i => (double)x[row * 4 + i] * x[row * 4 + i]) / 4;
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(w[i] * x[row * 4 + i] / Math.Sqrt(ms + 1e-5), y[row * 4 + i], 5);
            }
        }
    }

    [Fact]
    public void AddRmsNorm_ReturnsSumAndNormOfSum()
    {
        var x = Random(8, 6);
        var delta = Random(8, 7);
        var w = Random(4, 8);
        using var scope = torch.NewDisposeScope();
        var (sum, normed) = F.add_rms_norm(torch.tensor(x, [2, 4]), torch.tensor(delta, [2, 4]), torch.tensor(w, [4]), 1e-6);
        var s = x.Zip(delta, (a, b) => a + b).ToArray();
        Assert.Equal(s, sum.data<float>());
        Assert.Equal(F.rms_norm(torch.tensor(s, [2, 4]), torch.tensor(w, [4]), 1e-6).data<float>(), normed.data<float>());
    }

    [Fact]
    public void RotaryEmbedding_RotatesHalves()
    {
        float[] x = [1, 2, 3, 4];
        float[] cos = [0.5f, 0.25f, 0.5f, 0.25f];
        float[] sin = [0.1f, 0.2f, 0.1f, 0.2f];
        using var scope = torch.NewDisposeScope();
        var y = F.rotary_embedding(torch.tensor(x, [1, 4]), torch.tensor(cos, [1, 4]), torch.tensor(sin, [1, 4])).data<float>();
        // rotate_half([1,2,3,4]) = [-3,-4,1,2]
        Assert.Equal([1 * 0.5f - 3 * 0.1f, 2 * 0.25f - 4 * 0.2f, 3 * 0.5f + 1 * 0.1f, 4 * 0.25f + 2 * 0.2f], y, new FloatComparer(1e-6f));
    }

    [Fact]
    public void Swiglu_IsSiluOfFirstHalfTimesSecondHalf()
    {
        float[] x = [0.5f, -1f, 2f, 3f];
        using var scope = torch.NewDisposeScope();
        var y = F.swiglu(torch.tensor(x, [1, 4])).data<float>();
        static float Silu(float v) => v / (1 + MathF.Exp(-v));
        Assert.Equal([Silu(0.5f) * 2f, Silu(-1f) * 3f], y, new FloatComparer(1e-6f));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ScaledDotProductAttention_GroupedQueryAndCausal_MatchesNaiveAttention(bool causal)
    {
        const int heads = 4, kvHeads = 2, t = 3, d = 2;
        var q = Random(heads * t * d, 3);
        var k = Random(kvHeads * t * d, 4);
        var v = Random(kvHeads * t * d, 5);
        using var scope = torch.NewDisposeScope();
        var y = F.scaled_dot_product_attention(torch.tensor(q, [1, heads, t, d]), torch.tensor(k, [1, kvHeads, t, d]),
            torch.tensor(v, [1, kvHeads, t, d]), is_causal: causal).data<float>();
        for (var h = 0; h < heads; h++)
        {
            var kh = h / (heads / kvHeads);
            for (var i = 0; i < t; i++)
            {
                var keys = causal ? i + 1 : t;
                var scores = Enumerable.Range(0, keys).Select(j =>
                    Enumerable.Range(0, d).Sum(c => (double)q[(h * t + i) * d + c] * k[(kh * t + j) * d + c]) / Math.Sqrt(d)).ToArray();
                var max = scores.Max();
                var p = scores.Select(s => Math.Exp(s - max)).ToArray();
                var z = p.Sum();
                for (var c = 0; c < d; c++)
                {
                    var expected = Enumerable.Range(0, keys).Sum(j => p[j] / z * v[(kh * t + j) * d + c]);
                    Assert.Equal(expected, y[(h * t + i) * d + c], 5);
                }
            }
        }
    }

    [Fact]
    public void Linear_WithBias_IsMatmulOfTransposePlusBias()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor([1f, 2f], [1, 2]);
        var w = torch.tensor([1f, 0f, 0f, 1f, 1f, 1f], [3, 2]);
        var b = torch.tensor([0.5f, 0.25f, 0f], [3]);
        Assert.Equal([1.5f, 2.25f, 3f], F.linear(x, w, b).data<float>());
        Assert.Equal([1f, 2f, 3f], F.linear(x, w).data<float>());
    }

    [Fact]
    public void Embedding_PicksRows()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.arange(0, 6, 1, torch.float32).view(3, 2);
        Assert.Equal([4f, 5f, 0f, 1f], F.embedding(torch.tensor([2L, 0L]), w).data<float>());
    }

    private sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(float f) => 0;
    }
}
