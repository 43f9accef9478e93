using System.Text.Json;
using Cluster.Engine.Model;
using static Cluster.Cli.Bench.EngineBenchCommand;

namespace Cluster.Cli.Bench;

/// <summary>Rows of the engine benchmark: each figure with its measured bound and the transformers figure, with ratios.</summary>
internal sealed class EngineBenchTable(LlamaModel model, double peakFlops, double bandwidth, JsonElement? hf)
{
    private readonly List<Dictionary<string, object?>> _rows = [];

    /// <summary>FLOPs of a fresh prefill of batch×length tokens: matmuls, causal attention, LM head on the last token.</summary>
    public double PrefillFlops(int batch, int length)
    {
        var c = model.Config;
        double h = c.HiddenSize, q = c.NumHeads * c.HeadDim, kv = c.NumKvHeads * c.HeadDim;
        var perToken = c.NumLayers * (h * (q + 2 * kv) + q * h + 3 * h * c.IntermediateSize);
        var attention = c.NumLayers * 2.0 * 2 * c.NumHeads * c.HeadDim * length * (length + 1) / 2.0;
        return batch * (2.0 * perToken * length + attention + 2.0 * c.VocabSize * h);
    }

    public void AddPrefill(int batch, int length, double tokensPerSecond)
    {
        var boundTps = peakFlops / PrefillFlops(batch, length) * batch * length;
        var hfTps = Hf("prefill", $"{batch}x{length}");
        _rows.Add(new() { ["kind"] = "prefill", ["shape"] = $"{batch}x{length}", ["tokens_per_s"] = tokensPerSecond, ["bound_tokens_per_s"] = boundTps, ["hf_tokens_per_s"] = hfTps });
    }

    public void AddDecode(int batch, double eager, double? graphed)
    {
        var boundTps = batch * bandwidth / model.Weights.Bytes;
        var hfTps = Hf("decode", batch.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _rows.Add(new() { ["kind"] = "decode", ["shape"] = $"batch {batch}", ["tokens_per_s"] = graphed ?? eager, ["eager_tokens_per_s"] = eager, ["bound_tokens_per_s"] = boundTps, ["hf_tokens_per_s"] = hfTps });
    }

    private double? Hf(string kind, string key) =>
        hf is { } e && e.TryGetProperty(kind, out var k) && k.TryGetProperty(key, out var v) ? v.GetDouble() : null;

    public void Print()
    {
        Console.WriteLine($"model {model.Config.Architecture} hidden {model.Config.HiddenSize} layers {model.Config.NumLayers} {model.DType} on {model.Device}; " +
                          $"weights {F(model.Weights.Bytes / 1e9, "F2")} GB; measured bf16 matmul peak {F(peakFlops / 1e12, "F0")} TFLOP/s, copy bandwidth {F(bandwidth / 1e9, "F0")} GB/s");
        Console.WriteLine($"{"cell",-16}{"engine tok/s",14}{"bound tok/s",14}{"eng/bound",11}{"HF tok/s",12}{"eng/HF",9}{"eager tok/s",13}");
        foreach (var r in _rows)
        {
            var tps = (double)r["tokens_per_s"]!;
            var bound = (double)r["bound_tokens_per_s"]!;
            var hfv = (double?)r["hf_tokens_per_s"];
            var eager = r.TryGetValue("eager_tokens_per_s", out var e) ? F((double)e!) : "";
            Console.WriteLine($"{r["kind"] + " " + r["shape"],-16}{F(tps),14}{F(bound),14}{F(tps / bound, "P1"),11}" +
                              $"{(hfv is { } h ? F(h) : "-"),12}{(hfv is { } h2 ? F(tps / h2, "F2") + "x" : "-"),9}{eager,13}");
        }
    }

    public string ToJson() => JsonSerializer.Serialize(new { peak_flops = peakFlops, copy_bandwidth = bandwidth, weight_bytes = model.Weights.Bytes, rows = _rows });
}
