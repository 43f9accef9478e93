using System.CommandLine;
using System.Text.Json;
using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.Engine.Weights;
using Cluster.Torch;
using static Cluster.Cli.Bench.ServeBenchResult;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench serve</c>: a synthetic serving workload (Poisson arrivals, ShareGPT-like lengths, optional shared
/// prefixes) through the engine, next to Hugging Face transformers' continuous batching on the same weights and
/// workload (tests/reference/hf_serve.py, same run). <c>--write-workload</c> only writes the workload JSON. With
/// <c>--endpoint URL</c> it drives a running OpenAI-compatible server instead (<see cref="EndpointBench"/>).
/// </summary>
internal static class ServeBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model directory (cluster make-model)" };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "cuda" };
        var dtype = new Option<string>("--dtype") { DefaultValueFactory = _ => "bf16" };
        var workload = new Option<string?>("--workload") { Description = "Workload JSON (read, or written with --write-workload); required except with --paged-kernel" };
        var write = new Option<bool>("--write-workload") { Description = "Generate the workload, write it and stop" };
        var requests = new Option<int>("--requests") { DefaultValueFactory = _ => 256 };
        var rate = new Option<double>("--rate") { Description = "Arrivals per second", DefaultValueFactory = _ => 16 };
        var vocab = new Option<int>("--vocab") { Description = "Token ids drawn below this", DefaultValueFactory = _ => 32000 };
        var prefix = new Option<int>("--shared-prefix") { Description = "Tokens of shared system prompt (0: none)", DefaultValueFactory = _ => 0 };
        var prefixes = new Option<int>("--prefixes") { Description = "Distinct shared system prompts", DefaultValueFactory = _ => 4 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var batchTokens = new Option<int>("--max-batch-tokens") { DefaultValueFactory = _ => EngineOptions.DefaultMaxBatchTokens };
        var fraction = new Option<double>("--kv-fraction") { Description = "KvCache:MemoryFraction", DefaultValueFactory = _ => 0.5 };
        var hf = new Option<string?>("--hf-results") { Description = "JSON of tests/reference/hf_serve.py from the same run" };
        var json = new Option<string?>("--json-out") { Description = "Also write the results as JSON here" };
        var check = new Option<int>("--check") { Description = "First compare this many requests' greedy tokens with the single-sequence Generator", DefaultValueFactory = _ => 0 };
        var checkOnly = new Option<bool>("--check-only") { Description = "Stop after --check" };
        var profile = new Option<bool>("--profile") { Description = "Time each step's phases, waiting for the device after each (slows the run)" };
        var attention = new Option<string>("--attention")
        {
            Description = "Paged attention: decode-kernel (default: decodes through the paged decode kernel on CUDA half/bf16, prefills varlen; elsewhere as varlen), varlen or padded (the first implementation)",
            DefaultValueFactory = _ => "decode-kernel",
        };
        var graphs = new Option<string>("--cuda-graphs")
        {
            Description = "Decode-only steps: on (default: CUDA graphs per batch-size bucket, on CUDA with the paged decode kernel; eager elsewhere), off (eager), or padded (the graphs' padded pass run eagerly)",
            DefaultValueFactory = _ => "on",
        };
        var graphCheck = new Option<int>("--graph-check")
        {
            Description = "Compare this many requests' greedy tokens with CUDA graphs on, off and padded-eager (all submitted at once), then stop; exit 1 unless on equals padded and graphs ran",
            DefaultValueFactory = _ => 0,
        };
        var pagedKernel = new Option<bool>("--paged-kernel") { Description = "Check the paged decode kernel against the varlen path and time both per layer (no model, no workload), then stop" };
        var command = new Command("serve", "Serving workload: throughput, TTFT/TPOT percentiles and KV use, engine vs transformers continuous batching.")
        {
            model, device, dtype, workload, write, requests, rate, vocab, prefix, prefixes, seed, batchTokens, fraction, hf, json, check, checkOnly,
            profile, attention, pagedKernel, graphs, graphCheck,
        };
        var endpoint = new EndpointBenchCommand();
        endpoint.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                if (endpoint.Selected(parse, [model, device, dtype, workload, write, vocab, batchTokens, fraction, hf, check, checkOnly, profile, attention, pagedKernel, graphs, graphCheck]))
                {
                    return await endpoint.RunAsync(parse, new EndpointBenchCommand.Shared(parse.GetValue(requests), parse.GetValue(rate), parse.GetValue(prefix),
                        parse.GetValue(prefixes), parse.GetValue(seed), parse.GetValue(json), RequestsGiven: parse.GetResult(requests) is { Implicit: false }), ct);
                }

                if (parse.GetValue(endpoint.Trace) is { } traceFile)
                {
                    if (!parse.GetValue(write))
                    {
                        throw new ArgumentException("--trace without --endpoint goes with --write-workload: it turns the trace into the in-process engine's workload (Poisson at --rate, first --requests lines).");
                    }

                    var trace = EndpointBenchTrace.Read(traceFile);
                    var fromTrace = ServeBenchWorkload.FromTrace(Path.GetFileName(traceFile), trace, parse.GetResult(requests) is { Implicit: false } ? parse.GetValue(requests) : trace.Count,
                        parse.GetValue(rate), parse.GetValue(vocab), parse.GetValue(seed));
                    fromTrace.Save(parse.GetValue(workload) ?? throw new ArgumentException("--workload is required (the workload JSON to write)"));
                    Console.WriteLine($"{parse.GetValue(workload)}: {fromTrace.Requests.Count} requests from {traceFile} at {F(fromTrace.Rate)}/s, mean prompt {F(fromTrace.Requests.Average(r => r.Prompt.Length))}, mean output {F(fromTrace.Requests.Average(r => r.MaxTokens))}");
                    return 0;
                }
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"bench serve: {e.Message}");
                return 2;
            }

            if (parse.GetValue(pagedKernel))
            {
                var target = Device.Parse(parse.GetValue(device)!);
                var correct = ServeBenchPagedKernelCheck.Run(target);
                Console.WriteLine(correct ? "paged decode kernel: every case within 2 rounding steps of float32" : "paged decode kernel: FAILED (an error above 2 rounding steps)");
                if (target.IsCuda) ServeBenchPagedKernelTiming.Run(target);
                return correct ? 0 : 1;
            }
            var file = parse.GetValue(workload) ?? throw new ArgumentException("--workload is required (the workload JSON to read or, with --write-workload, to write)");
            if (parse.GetValue(write))
            {
                var name = parse.GetValue(prefix) > 0 ? $"shared-prefix {parse.GetValue(prefix)}×{parse.GetValue(prefixes)}" : "sharegpt-like";
                var generated = ServeBenchWorkload.Generate(name, parse.GetValue(requests), parse.GetValue(rate), parse.GetValue(vocab),
                    parse.GetValue(prefix), parse.GetValue(prefixes), parse.GetValue(seed));
                generated.Save(file);
                Console.WriteLine($"{file}: {generated.Requests.Count} requests, {name}, mean prompt {F(generated.Requests.Average(r => r.Prompt.Length))}, mean output {F(generated.Requests.Average(r => r.MaxTokens))}");
                return 0;
            }
            var mode = parse.GetValue(attention) switch
            {
                "varlen" => PagedAttentionMode.Varlen,
                "decode-kernel" => PagedAttentionMode.DecodeKernel,
                "padded" => PagedAttentionMode.Padded,
                var other => throw new ArgumentException($"--attention {other}: use varlen, decode-kernel or padded"),
            };
            var graphMode = parse.GetValue(graphs) switch
            {
                "on" => DecodeGraphMode.On,
                "off" => DecodeGraphMode.Off,
                "padded" => DecodeGraphMode.PaddedEager,
                var other => throw new ArgumentException($"--cuda-graphs {other}: use on, off or padded"),
            };
            var load = ServeBenchWorkload.Load(file);
            var dev = Device.Parse(parse.GetValue(device)!);
            var modelDir = parse.GetValue(model) ?? throw new ArgumentException("--model is required");
            var warmup = ServeBenchWorkload.Generate("warm-up", 16, 1000, Math.Min(parse.GetValue(vocab), HfConfigReader.Read(modelDir).VocabSize), 0, 1, seed: 99);
            var maxLength = load.Requests.Concat(warmup.Requests).Max(r => r.Prompt.Length + r.MaxTokens) + 16;
            using var llama = LlamaModel.Load(modelDir, dev, ScalarTypeExtensions.Parse(parse.GetValue(dtype)!), maxPositions: maxLength);
            using var engine = new InferenceEngine(llama, new ModelId("bench"), new EngineOptions { MaxBatchTokens = parse.GetValue(batchTokens) },
                new KvCacheOptions { MemoryFraction = parse.GetValue(fraction) });
            engine.AttentionMode = mode;
            engine.DecodeGraphs = graphMode;
            engine.Notice = message => Console.WriteLine($"engine: {message}");
            if (parse.GetValue(graphCheck) is > 0 and var graphCount)
            {
                return ServeBenchGraphCheck.Run(engine, load, graphCount, dev.IsCuda) ? 0 : 1;
            }
            if (parse.GetValue(check) > 0)
            {
                var c = llama.Config;
                Console.WriteLine(ServeBenchKernelCheck.Run(dev, llama.DType, c.NumHeads, c.NumKvHeads, c.HeadDim));
                Console.WriteLine(ServeBenchCheck.Run(llama, engine, load, parse.GetValue(check)));
                if (parse.GetValue(checkOnly)) return 0;
            }
            await ServeBenchRunner.RunAsync(engine, warmup, "warmup").ConfigureAwait(false);
            engine.Profile.Reset();
            engine.Profile.Synchronize = parse.GetValue(profile);
            var scheduled = engine.SchedulingTime;
            var ours = await ServeBenchRunner.RunAsync(engine, load, "bench").ConfigureAwait(false);
            var steps = engine.Profile.Describe(engine.SchedulingTime - scheduled);
            var peer = parse.GetValue(hf) is { } f && File.Exists(f) ? FromHfJson(JsonDocument.Parse(File.ReadAllText(f)).RootElement) : null;
            Print(load, ours, peer, engine);
            Console.WriteLine($"steps ({mode} attention, CUDA graphs {parse.GetValue(graphs)}): {steps}");
            if (parse.GetValue(json) is { } outFile)
            {
                File.WriteAllText(outFile, JsonSerializer.Serialize(new
                {
                    workload = load.Name, rate = load.Rate, requests = load.Requests.Count, attention = mode.ToString(), profiled = parse.GetValue(profile),
                    cuda_graphs = parse.GetValue(graphs), graph_steps = engine.Profile.GraphSteps, padded_steps = engine.Profile.PaddedSteps,
                    eager_decode_steps = engine.Profile.EagerDecodeSteps, graph_status = engine.DecodeGraphStatus,
                    steps, ours = ours.Summary(), transformers = peer?.Summary(),
                }));
            }
            return 0;
        });
        return command;
    }

    private static void Print(ServeBenchWorkload load, ServeBenchResult ours, ServeBenchResult? peer, InferenceEngine engine)
    {
        Console.WriteLine($"workload {load.Name}: {load.Requests.Count} requests at {F(load.Rate)}/s, mean prompt {F(load.Requests.Average(r => r.Prompt.Length))}, mean output {F(load.Requests.Average(r => r.MaxTokens))}");
        var offered = load.Requests.Sum(r => (double)r.MaxTokens) / load.Requests[^1].Arrival;
        Console.WriteLine($"offered load (all output tokens / last arrival): {F(offered, "F0")} output tok/s; an engine at or above it is arrival-bound");
        Console.WriteLine("| engine | output tok/s | TTFT p50 / p90 / p99 ms | TPOT p50 / p90 / p99 ms | duration s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var r in new[] { ours, peer }.OfType<ServeBenchResult>())
        {
            Console.WriteLine($"| {r.Engine} | {F(r.Throughput, "F0")} | {F(Percentile(r.TtftMs, 50))} / {F(Percentile(r.TtftMs, 90))} / {F(Percentile(r.TtftMs, 99))} | {F(Percentile(r.TpotMs, 50), "F2")} / {F(Percentile(r.TpotMs, 90), "F2")} / {F(Percentile(r.TpotMs, 99), "F2")} | {F(r.DurationSeconds, "F2")} |");
        }
        if (peer is not null)
        {
            Console.WriteLine($"engine / transformers: throughput {F(ours.Throughput / peer.Throughput, "F2")}×, p50 TPOT transformers ÷ engine {F(Percentile(peer.TpotMs, 50) / Percentile(ours.TpotMs, 50), "F2")} (above 1: engine lower)");
        }
        var stats = engine.Stats;
        Console.WriteLine($"KV cache: {stats.TotalBlocks} blocks of {engine.Storage.Layout.BlockSize} ({F(engine.Storage.Bytes / 1e9, "F2")} GB), peak use {F(100 * (ours.KvPeakUtilization ?? 0))} %, prefix-cache hits {F(100 * (ours.PrefixHitRate ?? 0))} % of prompt tokens, preemptions {stats.Preemptions}");
    }
}
