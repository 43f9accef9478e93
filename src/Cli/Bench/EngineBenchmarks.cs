using System.Diagnostics;
using Cluster.Engine.Model;
using Cluster.Torch;

namespace Cluster.Cli.Bench;

/// <summary>
/// Engine throughput measurements on one device, each with its bound measured in the same run:
/// bf16 matmul peak (prefill) and device copy bandwidth (decode). Times synchronise the device.
/// </summary>
internal sealed class EngineBenchmarks(LlamaModel model)
{
    private readonly Device _device = model.Device;

    /// <summary>bf16 n×n×n matrix products per second, as FLOP/s.</summary>
    public double MatmulPeakFlops(int n = 8192, int iterations = 20)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn([n, n], 1).to(ScalarType.BFloat16, _device);
        var b = torch.randn([n, n], 2).to(ScalarType.BFloat16, _device);
        var seconds = Time(() => { using var c = a.matmul(b); }, iterations, warmup: 3);
        return 2.0 * n * n * n / seconds;
    }

    /// <summary>Device-to-device copy bandwidth, bytes read + written per second.</summary>
    public double CopyBandwidth(long bytes = 2L << 30, int iterations = 20)
    {
        using var scope = torch.NewDisposeScope();
        var src = torch.ones([bytes / 2], ScalarType.BFloat16, _device);
        var dst = torch.zeros([bytes / 2], ScalarType.BFloat16, _device);
        var seconds = Time(() => dst.copy_(src), iterations, warmup: 3);
        return 2.0 * bytes / seconds;
    }

    /// <summary>Prefill of <paramref name="batch"/> random prompts of <paramref name="length"/> tokens: tokens per second.</summary>
    public double PrefillTokensPerSecond(int batch, int length, int iterations = 5)
    {
        using var cache = model.CreateCache(batch, length);
        using var scope = torch.NewDisposeScope();
        var ids = RandomIds(batch, length);
        var positions = torch.arange(0, length, 1, torch.int64, _device).view(1, length).expand(batch, length).contiguous(); // [B, T]
        var seconds = Time(() => { using var _ = model.Forward(ids, positions, cache, freshPrefill: true, lastOnly: true); }, iterations, warmup: 2);
        return (double)batch * length / seconds;
    }

    /// <summary>
    /// Greedy decode of <paramref name="batch"/> sequences after a <paramref name="prompt"/>-token prefill: tokens per
    /// second over <paramref name="steps"/> steps. With <paramref name="graph"/>, one CUDA graph holds a whole step
    /// (forward, argmax, feeding the token back, advancing the position), replayed once per step.
    /// </summary>
    public double DecodeTokensPerSecond(int batch, int prompt, int steps, bool graph)
    {
        using var cache = model.CreateCache(batch, prompt + steps + 8);
        using var scope = torch.NewDisposeScope();
        var ids = RandomIds(batch, prompt);
        var positions = torch.arange(0, prompt, 1, torch.int64, _device).view(1, prompt).expand(batch, prompt).contiguous();
        var first = model.Forward(ids, positions, cache, freshPrefill: true, lastOnly: true);    // [B, 1, V]
        var token = first.argmax(-1);                                                            // [B, 1]
        var position = torch.full([batch, 1], prompt, torch.int64, _device);                   // [B, 1]
        void Step()
        {
            using var s = torch.NewDisposeScope();
            var logits = model.Forward(token, position, cache, freshPrefill: false, lastOnly: true);
            token.copy_(logits.argmax(-1));
            position.copy_(position + 1);
        }
        Step();                                                   // warm-up: kernels, cuBLAS handles
        if (!graph)
        {
            return batch / Time(Step, steps - 4, warmup: 2);
        }
        using var g = new CudaGraph();
        g.CaptureBegin(_device.Index);
        Step();
        g.CaptureEnd();
        var seconds = Time(g.Replay, steps - 4, warmup: 2);
        return batch / seconds;
    }

    private Tensor RandomIds(int batch, int length)
    {
        var rng = new Random(batch * 100003 + length);
        var ids = Enumerable.Range(0, batch * length).Select(_ => (long)rng.Next(model.Config.VocabSize)).ToArray();
        return torch.tensor(ids, [batch, length], _device);                                      // [B, T]
    }

    /// <summary>Mean seconds per call over <paramref name="iterations"/> calls after <paramref name="warmup"/>.</summary>
    private double Time(Action action, int iterations, int warmup)
    {
        for (var i = 0; i < warmup; i++) action();
        torch.cuda.synchronize(_device);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) action();
        torch.cuda.synchronize(_device);
        return clock.Elapsed.TotalSeconds / iterations;
    }
}
