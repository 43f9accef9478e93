using System.CommandLine;
using Cluster.Engine.Synthetic;
using Cluster.Torch;
using Spectre.Console;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster make-model --preset P --out DIR</c>: writes a deterministic random-weight model in Hugging Face layout.</summary>
internal static class MakeModelCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Shape: {string.Join(", ", ModelPresets.Names)}", DefaultValueFactory = _ => "tiny" };
        var output = new Option<string>("--out") { Description = "Directory to write", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "Weight dtype: fp32, fp16 or bf16", DefaultValueFactory = _ => "bf16" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed (same seed, same weights)", DefaultValueFactory = _ => 0 };
        var shard = new Option<long>("--shard-size-mb") { Description = "Largest safetensors shard, MiB", DefaultValueFactory = _ => SyntheticModelWriter.DefaultShardBytes >> 20 };
        var hidden = new Option<int?>("--hidden-size") { Description = "Override the preset's hidden size" };
        var inter = new Option<int?>("--intermediate-size") { Description = "Override the preset's MLP size" };
        var layers = new Option<int?>("--layers") { Description = "Override the preset's layer count" };
        var heads = new Option<int?>("--heads") { Description = "Override the preset's attention heads" };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "Override the preset's key/value heads" };
        var vocab = new Option<int?>("--vocab-size") { Description = "Override the preset's vocabulary size (>= 258)" };
        var command = new Command("make-model", "Write a random-weight Llama-family model (config, safetensors, tokenizer) for tests and demos.")
        {
            preset, output, dtype, seed, shard, hidden, inter, layers, heads, kvHeads, vocab,
        };
        command.SetAction(parse =>
        {
            var config = ModelPresets.Get(parse.GetValue(preset)!);
            var h = parse.GetValue(hidden) ?? config.HiddenSize;
            var nh = parse.GetValue(heads) ?? config.NumHeads;
            config = config with
            {
                HiddenSize = h,
                IntermediateSize = parse.GetValue(inter) ?? config.IntermediateSize,
                NumLayers = parse.GetValue(layers) ?? config.NumLayers,
                NumHeads = nh,
                NumKvHeads = parse.GetValue(kvHeads) ?? Math.Min(config.NumKvHeads, nh),
                HeadDim = h / nh,
                VocabSize = parse.GetValue(vocab) ?? config.VocabSize,
            };
            var dir = parse.GetValue(output)!;
            var type = ScalarTypeExtensions.Parse(parse.GetValue(dtype)!);
            var started = DateTime.UtcNow;
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask($"writing {dir}");
                SyntheticModelWriter.Write(dir, config, type, parse.GetValue(seed), parse.GetValue(shard) << 20,
                    (done, total) => task.Value = 100.0 * done / total);
            });
            Console.WriteLine($"wrote {config.Architecture} ({config.NumLayers} layers, hidden {config.HiddenSize}, vocab {config.VocabSize}, {type}) to {dir} in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }
}
