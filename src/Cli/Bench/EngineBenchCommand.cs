using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cluster.Engine.Model;
using Cluster.Torch;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench engine --model DIR</c>: prefill and decode throughput of the engine, each next to its bound
/// measured in the same run and, when <c>--hf-results</c> names the JSON of tests/reference/hf_bench.py from
/// the same machine, next to Hugging Face transformers on the same weights and shapes.
/// </summary>
internal static class EngineBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (cluster make-model)", Required = true };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cuda" };
        var dtype = new Option<string>("--dtype") { DefaultValueFactory = _ => "bf16" };
        var prefill = new Option<string>("--prefill") { Description = "Prefill shapes BxT", DefaultValueFactory = _ => "1x2048,8x2048" };
        var decode = new Option<string>("--decode") { Description = "Decode batch sizes", DefaultValueFactory = _ => "1,16,64" };
        var prompt = new Option<int>("--decode-prompt") { Description = "Prompt tokens before decoding", DefaultValueFactory = _ => 128 };
        var steps = new Option<int>("--decode-steps") { Description = "Decode steps timed", DefaultValueFactory = _ => 128 };
        var graphs = new Option<bool>("--no-graphs") { Description = "Decode without CUDA graphs" };
        var hf = new Option<string?>("--hf-results") { Description = "JSON written by tests/reference/hf_bench.py in the same run" };
        var json = new Option<string?>("--json-out") { Description = "Also write the results as JSON here" };
        var command = new Command("engine", "Engine prefill/decode throughput vs measured bounds and Hugging Face transformers.")
        {
            model, device, dtype, prefill, decode, prompt, steps, graphs, hf, json,
        };
        command.SetAction(parse =>
        {
            var dev = Device.Parse(parse.GetValue(device)!);
            var type = ScalarTypeExtensions.Parse(parse.GetValue(dtype)!);
            var shapes = parse.GetValue(prefill)!.Split(',').Select(s => s.Split('x').Select(int.Parse).ToArray()).ToArray();
            var batches = parse.GetValue(decode)!.Split(',').Select(int.Parse).ToArray();
            var maxLen = Math.Max(shapes.Max(s => s[1]), parse.GetValue(prompt) + parse.GetValue(steps) + 8);
            using var llama = LlamaModel.Load(parse.GetValue(model)!, dev, type, maxPositions: maxLen);
            var bench = new EngineBenchmarks(llama);
            var peak = dev.IsCuda ? bench.MatmulPeakFlops() : bench.MatmulPeakFlops(n: 1024, iterations: 3);
            var bandwidth = dev.IsCuda ? bench.CopyBandwidth() : bench.CopyBandwidth(bytes: 256L << 20, iterations: 5);
            var hfResults = parse.GetValue(hf) is { } f && File.Exists(f) ? JsonDocument.Parse(File.ReadAllText(f)).RootElement : (JsonElement?)null;
            var table = new EngineBenchTable(llama, peak, bandwidth, hfResults);
            foreach (var s in shapes) table.AddPrefill(s[0], s[1], bench.PrefillTokensPerSecond(s[0], s[1]));
            foreach (var b in batches)
            {
                var eager = bench.DecodeTokensPerSecond(b, parse.GetValue(prompt), parse.GetValue(steps), graph: false);
                double? graphed = null;
                if (dev.IsCuda && !parse.GetValue(graphs))
                {
                    try
                    {
                        graphed = bench.DecodeTokensPerSecond(b, parse.GetValue(prompt), parse.GetValue(steps), graph: true);
                    }
                    catch (TorchException e)
                    {
                        Console.Error.WriteLine($"decode batch {b} with a CUDA graph failed, reporting eager: {e.Message}");
                    }
                }
                table.AddDecode(b, eager, graphed);
            }
            table.Print();
            if (parse.GetValue(json) is { } outFile) File.WriteAllText(outFile, table.ToJson());
            return 0;
        });
        return command;
    }

    internal static string F(double v, string format = "F0") => v.ToString(format, CultureInfo.InvariantCulture);
}
