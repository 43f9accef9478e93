using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Torch.Tests;

/// <summary>
/// Decode attention over a paged cache (the ATen path on CPU; the CUDA kernel is checked on the GPU machine by
/// tests/reference/run_paged_kernel_gpu.sh) against the softmax formula computed here in double precision.
/// </summary>
public sealed class PagedDecodeAttentionTests
{
    private const int Heads = 4, KvHeads = 2, Dim = 8, BlockSize = 4, Blocks = 6;

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void PagedDecodeAttention_ScatteredBlocksAndLengths_MatchSoftmaxFormula()
    {
        int[][] tables = [[5, 1, 3], [2, 0, 0], [4, 0, 1]];   // blocks out of order; padding entries past each length
        int[] lengths = [11, 1, 9];
        var q = Random(3 * Heads * Dim, 1);
        var k = Random(Blocks * BlockSize * KvHeads * Dim, 2);
        var v = Random(Blocks * BlockSize * KvHeads * Dim, 3);
        using var scope = torch.NewDisposeScope();
        var output = F.paged_decode_attention(torch.tensor(q, [3, Heads, Dim]),
            torch.tensor(k, [Blocks * BlockSize, KvHeads, Dim]), torch.tensor(v, [Blocks * BlockSize, KvHeads, Dim]),
            torch.tensor(tables.SelectMany(t => t).Select(x => (long)x).ToArray(), [3, 3]).to(ScalarType.Int32),
            torch.tensor(lengths.Select(x => (long)x).ToArray()).to(ScalarType.Int32), BlockSize).data<float>();
        Assert.Equal(3 * Heads * Dim, output.Length);
        var scale = 1 / Math.Sqrt(Dim);
        for (var s = 0; s < 3; s++)
        {
            var slots = Enumerable.Range(0, lengths[s]).Select(p => tables[s][p / BlockSize] * BlockSize + p % BlockSize).ToArray();
            for (var h = 0; h < Heads; h++)
            {
                var kvh = h / (Heads / KvHeads);
                var scores = slots.Select(slot =>
                    scale * Enumerable.Range(0, Dim).Sum(x => (double)q[(s * Heads + h) * Dim + x] * k[(slot * KvHeads + kvh) * Dim + x])).ToArray();
                var max = scores.Max();
                var weights = scores.Select(x => Math.Exp(x - max)).ToArray();
                var total = weights.Sum();
                for (var x = 0; x < Dim; x++)
                {
                    var expected = slots.Select((slot, j) => weights[j] / total * v[(slot * KvHeads + kvh) * Dim + x]).Sum();
                    Assert.Equal(expected, output[(s * Heads + h) * Dim + x], 5);
                }
            }
        }
    }

    [Fact]
    public void PagedDecodeAttention_LengthsNotInt32_ThrowsNamingTheInput()
    {
        using var scope = torch.NewDisposeScope();
        var q = torch.zeros([1, Heads, Dim]);
        var cache = torch.zeros([Blocks * BlockSize, KvHeads, Dim]);
        var tables = torch.zeros([1, 2], ScalarType.Int32);
        var error = Assert.Throws<TorchException>(() => F.paged_decode_attention(q, cache, cache, tables, torch.tensor([3L]), BlockSize));
        Assert.Contains("lengths must be int32", error.Message);
    }

    [Fact]
    public void PagedDecodeAttention_LengthPastBlockTable_ThrowsNamingTheSequence()
    {
        using var scope = torch.NewDisposeScope();
        var q = torch.zeros([1, Heads, Dim]);
        var cache = torch.zeros([Blocks * BlockSize, KvHeads, Dim]);
        var tables = torch.zeros([1, 2], ScalarType.Int32);
        var lengths = torch.tensor([2L * BlockSize + 1]).to(ScalarType.Int32);
        var error = Assert.Throws<TorchException>(() => F.paged_decode_attention(q, cache, cache, tables, lengths, BlockSize));
        Assert.Contains("sequence 0", error.Message);
    }

    [Fact]
    public void PagedDecodeAttention_OnCpu_IsNotFused()
    {
        using var scope = torch.NewDisposeScope();
        Assert.False(F.paged_decode_attention_is_fused(torch.zeros([1, Heads, Dim]), torch.zeros([BlockSize, KvHeads, Dim])));
    }
}
