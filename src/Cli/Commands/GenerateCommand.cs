using Cluster.Core.Generation;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cluster.Engine.Generation;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Text;
using Cluster.Torch;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster generate --model DIR --prompt TEXT</c>: generates from a model directory on the CPU or a GPU.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model directory", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (byte-level tokenizer)" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Prompt as comma-separated token ids (instead of --prompt)" };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var dtype = new Option<string?>("--dtype") { Description = "fp32, fp16 or bf16 (default: fp32 on cpu, bf16 on cuda)" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 64 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "0 = off", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "1 = off", DefaultValueFactory = _ => 1 };
        var minP = new Option<double>("--min-p") { Description = "0 = off", DefaultValueFactory = _ => 0 };
        var repetition = new Option<double>("--repetition-penalty") { DefaultValueFactory = _ => 1 };
        var presence = new Option<double>("--presence-penalty") { DefaultValueFactory = _ => 0 };
        var frequency = new Option<double>("--frequency-penalty") { DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong?>("--seed") { Description = "Seed for sampling" };
        var stopIds = new Option<string?>("--stop-ids") { Description = "Comma-separated token ids that end generation" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Do not stop at the model's end-of-sequence ids" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON (tokens, logprobs, text, timings)" };
        var eager = new Option<bool>("--no-cuda-graphs") { Description = "Run decode steps eagerly instead of replaying a CUDA graph" };
        var logitsOut = new Option<string?>("--logits-out") { Description = "Also write the float32 logits of every prompt position ([T, vocab], raw) to this file" };
        var command = new Command("generate", "Generate text from a model directory.")
        {
            model, prompt, promptIds, device, dtype, maxTokens, temperature, topK, topP, minP, repetition, presence, frequency,
            seed, stopIds, ignoreEos, json, logitsOut, eager,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(model)!;
            var dev = Device.Parse(parse.GetValue(device)!);
            var type = parse.GetValue(dtype) is { } d ? ScalarTypeExtensions.Parse(d) : dev.IsCuda ? ScalarType.BFloat16 : ScalarType.Float32;
            var parameters = new GenerationParameters
            {
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                MinP = parse.GetValue(minP),
                RepetitionPenalty = parse.GetValue(repetition),
                PresencePenalty = parse.GetValue(presence),
                FrequencyPenalty = parse.GetValue(frequency),
                Seed = parse.GetValue(seed),
                StopTokenIds = Ids(parse.GetValue(stopIds)),
                IgnoreEos = parse.GetValue(ignoreEos),
            };
            parameters.Validate();
            ByteLevelTokenizer? tokenizer = File.Exists(Path.Combine(dir, "tokenizer.json")) ? new ByteLevelTokenizer(dir) : null;
            var ids = parse.GetValue(promptIds) is { } p ? Ids(p)
                : tokenizer?.Encode(parse.GetValue(prompt) ?? throw new ArgumentException("give --prompt or --prompt-ids"))
                  ?? throw new ArgumentException($"no tokenizer.json in {dir}: give --prompt-ids");
            using var llama = LlamaModel.Load(dir, dev, type, maxPositions: ids.Count + parameters.MaxTokens);
            if (parse.GetValue(logitsOut) is { } file) WriteLogits(llama, ids, file);
            var result = new Generator(llama, cudaGraphs: !parse.GetValue(eager)).Generate(ids, parameters);
            var text = tokenizer?.Decode(result.Tokens);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    prompt_tokens = ids, tokens = result.Tokens, logprobs = result.LogProbs, text,
                    finish_reason = result.FinishReason.ToString().ToLowerInvariant(),
                    prefill_ms = result.PrefillTime.TotalMilliseconds, decode_ms = result.DecodeTime.TotalMilliseconds,
                }));
            }
            else
            {
                Console.WriteLine(text ?? string.Join(" ", result.Tokens));
                var perToken = result.Tokens.Count > 1 ? result.DecodeTime.TotalMilliseconds / (result.Tokens.Count - 1) : 0;
                Console.Error.WriteLine($"[{dev} {type}] prompt {ids.Count} tokens, prefill {result.PrefillTime.TotalMilliseconds:F1} ms; " +
                                        $"{result.Tokens.Count} tokens, {perToken:F2} ms/token decode; finish: {result.FinishReason}");
            }
            return 0;
        });
        return command;
    }

    private static void WriteLogits(LlamaModel model, IReadOnlyList<int> ids, string file)
    {
        using var cache = model.CreateCache(1, ids.Count);
        using var scope = torch.NewDisposeScope();
        var input = torch.tensor(ids.Select(t => (long)t).ToArray(), [1, ids.Count], model.Device);   // [1, T]
        var positions = torch.arange(0, ids.Count, 1, torch.int64, model.Device).view(1, ids.Count);     // [1, T]
        var logits = model.Forward(input, positions, cache, freshPrefill: true, lastOnly: false);          // [1, T, V]
        var bytes = new byte[logits.numel() * sizeof(float)];
        logits.CopyTo(bytes);
        File.WriteAllBytes(file, bytes);
    }

    private static int[] Ids(string? text) => string.IsNullOrWhiteSpace(text) ? []
        : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
