using System.Globalization;
using Cluster.Torch;
using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Cli.Bench;

/// <summary>
/// The paged decode kernel against the varlen path on random paged data: sequences of 1 … 4096 keys in scattered blocks,
/// each dtype and grouped-query ratio, the kernel with its chosen splits and with one split; every output also against a
/// float32 computation of the same (rounded) inputs, so errors read next to the dtype's rounding step.
/// </summary>
internal static class ServeBenchPagedKernelCheck
{
    private const int BlockSize = 16, KvHeads = 8;
    private static readonly int[] Lengths = [1, 2, 15, 16, 17, 63, 100, 255, 256, 257, 511, 1000, 1500, 2047, 2048, 3000, 4095, 4096];

    /// <summary>Prints one line per case and returns whether every kernel error stays within 2 rounding steps of its dtype.</summary>
    public static bool Run(Device device)
    {
        var ok = true;
        Console.WriteLine("| dtype | head dim | q heads / kv head | splits | max \\|kernel − float32\\| | max \\|varlen − float32\\| | max \\|kernel − varlen\\| | rounding step at max \\|out\\| | fused |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float16 })
        {
            foreach (var (dim, group) in new[] { (64, 1), (64, 4), (64, 8), (128, 4) })
            {
                ok &= Case(device, dtype, dim, group);
            }
        }
        return ok;
    }

    private static bool Case(Device device, ScalarType dtype, int dim, int group)
    {
        using var scope = torch.NewDisposeScope();
        int s = Lengths.Length, heads = KvHeads * group;
        var blocksPer = Lengths.Select(l => (l + BlockSize - 1) / BlockSize).ToArray();
        int total = blocksPer.Sum() + 3, maxBlocks = blocksPer.Max();
        var random = new Random(dim * 31 + group);
        var shuffled = Enumerable.Range(0, total).OrderBy(_ => random.Next()).ToArray();   // scattered physical blocks
        var tables = new long[s * maxBlocks];
        var keySlots = new List<long>();
        var cuK = new long[s + 1];
        for (int i = 0, next = 0; i < s; i++)
        {
            for (var b = 0; b < blocksPer[i]; b++) tables[i * maxBlocks + b] = shuffled[next++];
            for (var p = 0; p < Lengths[i]; p++) keySlots.Add(tables[i * maxBlocks + p / BlockSize] * BlockSize + p % BlockSize);
            cuK[i + 1] = cuK[i] + Lengths[i];
        }
        var cuQ = Enumerable.Range(0, s + 1).Select(i => (long)i).ToArray();
        var q = torch.randn([s, heads, dim], seed: 21).to(dtype).to(device);                          // [S, Hq, D]
        var k = torch.randn([total * BlockSize, KvHeads, dim], seed: 22).to(dtype).to(device);        // [slots, Hkv, D]
        var v = torch.randn([total * BlockSize, KvHeads, dim], seed: 23).to(dtype).to(device);
        var tablesDev = torch.tensor(tables, [s, maxBlocks], device).to(ScalarType.Int32);           // [S, M]
        var lengthsDev = torch.tensor(Lengths.Select(l => (long)l).ToArray(), device).to(ScalarType.Int32);
        var cu = torch.tensor([.. cuQ, .. cuK], device).to(ScalarType.Int32);
        var slots = torch.tensor(keySlots.ToArray(), device);                                        // [K]
        var varlen = F.varlen_attention(q, k.index_select(0, slots), v.index_select(0, slots), cu.narrow(0, 0, s + 1),
            cu.narrow(0, s + 1, s + 1), cuQ, cuK, 1, Lengths.Max()).to(ScalarType.Float32);
        var exact = F.paged_decode_attention(q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32),
            tablesDev, lengthsDev, BlockSize, reference: true);
        var step = RoundingStep(dtype, exact.abs().amax().item());
        double MaxDiff(Tensor a, Tensor b) => (a - b).abs().amax().item();
        var ok = true;
        foreach (var splits in new[] { 0, 1 })
        {
            var kernel = F.paged_decode_attention(q, k, v, tablesDev, lengthsDev, BlockSize, splits: splits).to(ScalarType.Float32);
            var error = MaxDiff(kernel, exact);
            ok &= error <= 2 * step;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {dtype} | {dim} | {group} | {(splits == 0 ? "auto" : "1")} | {error:G3} | {MaxDiff(varlen, exact):G3} | {MaxDiff(kernel, varlen):G3} | {step:G3} | {F.paged_decode_attention_is_fused(q, k)} |"));
        }
        return ok;
    }

    // Spacing of representable values at magnitude x: 2^(floor(log2 x) − mantissa bits).
    private static double RoundingStep(ScalarType dtype, double x) =>
        Math.Pow(2, Math.Floor(Math.Log2(Math.Max(x, 1e-30))) - (dtype == ScalarType.BFloat16 ? 7 : 10));
}
