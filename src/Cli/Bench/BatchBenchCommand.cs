using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cluster.Cli.Up;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench batch</c>: N requests over K shared system prompts in random order, three ways in the same run,
/// each on a fresh in-process cluster: through the online API in file order (the baseline), as a batch in file order,
/// and as a prefix-grouped batch; throughput and prefix-hit rate of each. On the prefix-grouped arm's cluster, online
/// probes' p99 time to first token alone and while a second batch runs.
/// </summary>
internal static class BatchBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model directory (default: the generated tiny model, fp32 CPU)" };
        var requests = new Option<int>("--requests") { Description = "Requests in the batch", DefaultValueFactory = _ => 200 };
        var systems = new Option<int>("--system-prompts") { Description = "Distinct shared system prompts", DefaultValueFactory = _ => 8 };
        var systemTokens = new Option<int>("--system-tokens") { Description = "Tokens per system prompt", DefaultValueFactory = _ => 256 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens generated per request", DefaultValueFactory = _ => 8 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight (online client and Batch:MaxConcurrency)", DefaultValueFactory = _ => 4 };
        var probes = new Option<int>("--probes") { Description = "Online TTFT probes, alone and during a batch", DefaultValueFactory = _ => 20 };
        var prefill = new Option<int>("--prefill") { Description = "Prefill workers", DefaultValueFactory = _ => 2 };
        var decode = new Option<int>("--decode") { Description = "Decode workers", DefaultValueFactory = _ => 2 };
        var blocks = new Option<int>("--prefill-kv-blocks") { Description = "KvCache:NumBlocks of each prefill worker (0 = engine default)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "Workers' device: cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var (prefillDevices, decodeDevices) = Commands.UpCommand.DevicePlacementOptions();
        var output = new Option<string?>("--out") { Description = "Also write the results (markdown + JSON) to this file stem" };
        var command = new Command("batch", "Batch API: prefix-grouped batch vs file order (batch and online API), throughput and prefix-hit rate; online p99 TTFT with and without a batch.")
        {
            model, requests, systems, systemTokens, maxTokens, concurrency, probes, prefill, decode, blocks, device, prefillDevices, decodeDevices, output,
        };
        command.SetAction((p, ct) =>
        {
            (IReadOnlyList<string> Prefill, IReadOnlyList<string> Decode) placement;
            try
            {
                placement = DevicePlacement.ParseChecked(p.GetValue(prefillDevices), p.GetValue(decodeDevices), p.GetValue(device)!, p.GetValue(prefill), p.GetValue(decode));
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"bench batch: {e.Message}");
                return Task.FromResult(2);
            }

            return RunAsync(
                new BatchBenchRunner.Settings(p.GetValue(model) ?? ModelCache.EnsureTinyModel(ModelCache.DefaultDirectory, out _), p.GetValue(device)!,
                    p.GetValue(prefill), p.GetValue(decode), p.GetValue(blocks), p.GetValue(maxTokens), p.GetValue(concurrency))
                {
                    PrefillDevices = placement.Prefill, DecodeDevices = placement.Decode,
                },
                p.GetValue(requests), p.GetValue(systems), p.GetValue(systemTokens), p.GetValue(probes), p.GetValue(output), ct);
        });
        return command;
    }

    private static string Placement(BatchBenchRunner.Settings s) => s.PrefillDevices.Count + s.DecodeDevices.Count == 0 ? s.Device
        : $"prefill on {(s.PrefillDevices.Count > 0 ? string.Join(",", s.PrefillDevices) : s.Device)}, decode on {(s.DecodeDevices.Count > 0 ? string.Join(",", s.DecodeDevices) : s.Device)}";

    private static async Task<int> RunAsync(BatchBenchRunner.Settings s, int requests, int systems, int systemTokens, int probes, string? output, CancellationToken ct)
    {
        var workload = BatchBenchWorkload.Build(requests, systems, systemTokens, probes, seed: 11);
        var second = BatchBenchWorkload.Build(requests, systems, systemTokens, 0, seed: 12);
        var setup = $"model {s.ModelPath} ({Placement(s)}); {s.Prefill} prefill + {s.Decode} decode workers in one process, each arm on a fresh cluster; " +
                    $"{requests} requests over {systems} system prompts × {systemTokens} tokens + 16–47-token suffixes in random order, {s.MaxTokens} output tokens, " +
                    $"{s.Concurrency} in flight; prefill KvCache:NumBlocks {(s.PrefillBlocks > 0 ? s.PrefillBlocks.ToString(CultureInfo.InvariantCulture) : "default")}";
        Console.WriteLine(setup);
        var arms = new List<BatchBenchRunner.Arm>();
        List<double> alone = [], during = [];
        foreach (var arm in new[] { "online", BatchSchedulingModesNames.FileOrder, BatchSchedulingModesNames.PrefixGrouped })
        {
            Console.WriteLine($"running {arm} on a fresh cluster...");
            await using var cluster = await BatchBenchRunner.StartAsync(s, ct);
            await BatchBenchRunner.ProbeTtftAsync(cluster, workload.Probes.Take(2).ToList(), null, ct); // warm-up
            if (arm == BatchSchedulingModesNames.PrefixGrouped)
            {
                alone = await BatchBenchRunner.ProbeTtftAsync(cluster, workload.Probes, null, ct);
            }

            arms.Add(arm == "online"
                ? await BatchBenchRunner.OnlineAsync(cluster, s, workload.Prompts, ct)
                : await BatchBenchRunner.BatchAsync(cluster, s, workload.Prompts, arm, ct));
            if (arm == BatchSchedulingModesNames.PrefixGrouped)
            {
                var batch = BatchBenchRunner.BatchAsync(cluster, s, second.Prompts, arm, ct);
                during = await BatchBenchRunner.ProbeTtftAsync(cluster, workload.Probes, batch, ct);
                await batch;
            }
        }

        var table = Table(arms, alone, during);
        Console.WriteLine(table);
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output + ".md", $"# cluster bench batch\n\n{setup}\n\n{table}\n", ct);
            await File.WriteAllTextAsync(output + ".json", JsonSerializer.Serialize(new
            {
                arms = arms.Select(a => new
                {
                    arm = a.Name, requests = a.Requests, failed = a.Failed, wall_s = a.Wall.TotalSeconds, requests_per_s = a.RequestsPerSecond,
                    output_tokens_per_s = a.OutputTokensPerSecond, prompt_tokens = a.PromptTokens, cached_prompt_tokens = a.CachedTokens, prefix_hit_rate = a.PrefixHitRate,
                }),
                online_ttft_ms_alone = alone, online_ttft_ms_during_batch = during,
            }, new JsonSerializerOptions { WriteIndented = true }), ct);
            Console.WriteLine($"wrote {output}.md and {output}.json");
        }

        return arms.All(a => a.Failed == 0) ? 0 : 1;
    }

    private static string Table(IReadOnlyList<BatchBenchRunner.Arm> arms, IReadOnlyList<double> alone, IReadOnlyList<double> during)
    {
        var b = new StringBuilder();
        b.AppendLine("| arm | requests ok | wall s | requests/s | output tokens/s | prefix-hit rate (cached / prompt tokens) |");
        b.AppendLine("|---|---|---|---|---|---|");
        foreach (var a in arms)
        {
            b.AppendLine(CultureInfo.InvariantCulture,
                $"| {a.Name} | {a.Requests} (failed {a.Failed}) | {a.Wall.TotalSeconds:F1} | {a.RequestsPerSecond:F2} | {a.OutputTokensPerSecond:F1} | {a.PrefixHitRate:P1} |");
        }

        if (arms.Count == 3)
        {
            b.AppendLine(CultureInfo.InvariantCulture,
                $"\nprefix-grouped batch / online file order: throughput ×{arms[2].RequestsPerSecond / arms[0].RequestsPerSecond:F2}; " +
                $"/ batch file order: ×{arms[2].RequestsPerSecond / arms[1].RequestsPerSecond:F2}");
        }

        b.AppendLine(CultureInfo.InvariantCulture,
            $"\nonline probes (gRPC, 64-token prompts, 4 tokens): p99 TTFT alone {BatchBenchRunner.P99(alone):F1} ms ({alone.Count} probes), " +
            $"during a prefix-grouped batch {BatchBenchRunner.P99(during):F1} ms ({during.Count} probes): ×{BatchBenchRunner.P99(during) / BatchBenchRunner.P99(alone):F2}");
        return b.ToString();
    }

    /// <summary>The router's mode names (<c>Cluster.Router.Batch.BatchSchedulingModes</c>).</summary>
    private static class BatchSchedulingModesNames
    {
        public const string PrefixGrouped = Cluster.Router.Batch.BatchSchedulingModes.PrefixGrouped;
        public const string FileOrder = Cluster.Router.Batch.BatchSchedulingModes.FileOrder;
    }
}
