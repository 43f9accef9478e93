using System.Diagnostics;
using System.Globalization;
using Cluster.Torch;
using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Cli.Bench;

/// <summary>
/// Microbenchmark of one layer's decode attention (Llama-3.2-1B shape: 32 query heads, 8 KV heads, head dim 64, bf16,
/// blocks of 16 in scattered order): the paged decode kernel vs the varlen path (gather the keys and values through
/// the key slots, then one flash-attention varlen call), next to the memory-bandwidth bound: the K/V bytes the step must
/// read ÷ the device's copy bandwidth (read + written bytes of a 1 GiB device-to-device copy), measured in the same run.
/// </summary>
internal static class ServeBenchPagedKernelTiming
{
    private const int BlockSize = 16, Heads = 32, KvHeads = 8, Dim = 64;
    private static readonly int[] Batches = [1, 16, 64, 256];
    private static readonly int[] Contexts = [512, 2048];

    public static void Run(Device device)
    {
        using var scope = torch.NewDisposeScope();
        var copyBandwidth = CopyBandwidth(device);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"device copy bandwidth (read + written bytes / time, 1 GiB copy): {copyBandwidth / 1e9:F0} GB/s"));
        var blocks = Batches.Max() * Contexts.Max() / BlockSize + 1;
        var tile = Enumerable.Range(0, blocks * BlockSize).Select(i => (long)(i % 4096)).ToArray();
        var tileIndex = torch.tensor(tile, device);                                                                   // [slots]
        var k = torch.randn([4096, KvHeads, Dim], seed: 5).to(ScalarType.BFloat16).to(device).index_select(0, tileIndex);  // [slots, Hkv, D]
        var v = torch.randn([4096, KvHeads, Dim], seed: 6).to(ScalarType.BFloat16).to(device).index_select(0, tileIndex);
        Console.WriteLine("| batch | context | kernel µs | varlen path µs (gather + flash) | bound µs (KV bytes ÷ copy bw) | kernel ÷ bound | varlen ÷ kernel | splits=1 kernel µs |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var random = new Random(7);
        foreach (var context in Contexts)
        {
            foreach (var batch in Batches)
            {
                using var inner = torch.NewDisposeScope();
                int perSeq = context / BlockSize;
                var chosen = Enumerable.Range(0, blocks).OrderBy(_ => random.Next()).Take(batch * perSeq).Select(b => (long)b).ToArray();
                var slots = new long[batch * context];
                for (var i = 0; i < slots.Length; i++) slots[i] = chosen[i / BlockSize] * BlockSize + i % BlockSize;
                var tables = torch.tensor(chosen, [batch, perSeq], device).to(ScalarType.Int32);
                var lengths = torch.full([batch], context, ScalarType.Int32, device);
                long[] cuQ = [.. Enumerable.Range(0, batch + 1).Select(i => (long)i)], cuK = [.. cuQ.Select(i => i * context)];
                var cu = torch.tensor([.. cuQ, .. cuK], device).to(ScalarType.Int32);
                var keySlots = torch.tensor(slots, device);
                var q = torch.randn([batch, Heads, Dim], seed: 9).to(ScalarType.BFloat16).to(device);
                var kernel = Time(device, () => F.paged_decode_attention(q, k, v, tables, lengths, BlockSize).Dispose());
                var single = Time(device, () => F.paged_decode_attention(q, k, v, tables, lengths, BlockSize, splits: 1).Dispose());
                var cuQDev = cu.narrow(0, 0, batch + 1);
                var cuKDev = cu.narrow(0, batch + 1, batch + 1);
                var varlen = Time(device, () =>
                {
                    using var step = torch.NewDisposeScope();
                    F.varlen_attention(q, k.index_select(0, keySlots), v.index_select(0, keySlots), cuQDev, cuKDev, cuQ, cuK, 1, context);
                });
                var bound = 2.0 * batch * context * KvHeads * Dim * 2 / copyBandwidth * 1e6;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {batch} | {context} | {kernel:F1} | {varlen:F1} | {bound:F1} | {kernel / bound:F2} | {varlen / kernel:F2} | {single:F1} |"));
            }
        }
    }

    // Median µs per call over 5 rounds of 20 calls, after 3 warm-up calls; the device is synchronised around each round.
    private static double Time(Device device, Action op)
    {
        for (var i = 0; i < 3; i++) op();
        torch.cuda.synchronize(device);
        var rounds = new List<double>();
        for (var r = 0; r < 5; r++)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 20; i++) op();
            torch.cuda.synchronize(device);
            rounds.Add(watch.Elapsed.TotalMicroseconds / 20);
        }
        rounds.Sort();
        return rounds[2];
    }

    private static double CopyBandwidth(Device device)
    {
        using var scope = torch.NewDisposeScope();
        var source = torch.zeros([1L << 29], ScalarType.BFloat16, device);   // 1 GiB
        var target = torch.empty([1L << 29], ScalarType.BFloat16, device);
        var micros = Time(device, () => target.copy_(source));
        return 2.0 * (1L << 30) / (micros * 1e-6);
    }
}
