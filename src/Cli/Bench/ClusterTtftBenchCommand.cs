using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cluster.Cli.Up;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench cluster-ttft</c>: time to first token through the whole cluster (router → prefill → KV transfer →
/// decode, in one process, 2 prefill + 1 decode workers) on a shared-prefix workload, with the prefill policy
/// cache-aware next to round-robin in the same run, each on a fresh cluster. Prefill workers' KV caches are limited so
/// one worker cannot hold every system prompt (the case cache-aware routing is for).
/// </summary>
internal static class ClusterTtftBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model directory (default: the generated tiny model, fp32 CPU)" };
        var systems = new Option<int>("--system-prompts") { Description = "Distinct shared prefixes", DefaultValueFactory = _ => 8 };
        var systemTokens = new Option<int>("--system-tokens") { Description = "Tokens per shared prefix", DefaultValueFactory = _ => 768 };
        var requests = new Option<int>("--requests") { Description = "Measured requests per policy", DefaultValueFactory = _ => 96 };
        var rate = new Option<double>("--rate") { Description = "Poisson arrival rate, requests/s", DefaultValueFactory = _ => 12 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens generated per request", DefaultValueFactory = _ => 4 };
        var blocks = new Option<int>("--prefill-kv-blocks") { Description = "KvCache:NumBlocks of each prefill worker (0 = engine default)", DefaultValueFactory = _ => 320 };
        var output = new Option<string?>("--out") { Description = "Also write the results (markdown + JSON) to this file stem" };
        var device = new Option<string>("--device") { Description = "Workers' device: cpu, cuda or cuda:N (shared by the three workers unless placed below)", DefaultValueFactory = _ => "cpu" };
        var (prefillDevices, decodeDevices) = Commands.UpCommand.DevicePlacementOptions();
        var slo = new Option<double>("--ttft-slo") { Description = "TTFT SLO in ms for attainment and goodput (requests/s within it)", DefaultValueFactory = _ => 250 };
        var policies = new Option<string>("--policies")
        {
            Description = "Prefill policies to run, comma-separated, each on a fresh cluster (the first two are compared)", DefaultValueFactory = _ => "cache-aware,round-robin",
        };
        var set = new Option<string[]>("--set") { Description = "Section:Key=value for every worker and the router (repeatable), e.g. Engine:AdmissionBypassLimit=0", AllowMultipleArgumentsPerToken = false };
        var command = new Command("cluster-ttft", "TTFT through the cluster on a shared-prefix workload: cache-aware vs round-robin prefill routing, same run.")
        {
            model, systems, systemTokens, requests, rate, maxTokens, blocks, output, device, prefillDevices, decodeDevices, slo, policies, set,
        };
        command.SetAction((parse, ct) =>
        {
            var names = parse.GetValue(policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names.Length == 0 ? "" : names.FirstOrDefault(n => !Router.Routing.RoutingPolicyNames.All.Contains(n));
            if (unknown is not null)
            {
                Console.Error.WriteLine($"--policies: '{unknown}' is not a prefill policy; use one or more of {string.Join(", ", Router.Routing.RoutingPolicyNames.All)}");
                return Task.FromResult(2);
            }

            Dictionary<string, string> settings;
            (IReadOnlyList<string> Prefill, IReadOnlyList<string> Decode) placement;
            try
            {
                settings = DisaggBenchCommand.ParseSet(parse.GetValue(set) ?? []);
                placement = DevicePlacement.ParseChecked(parse.GetValue(prefillDevices), parse.GetValue(decodeDevices), parse.GetValue(device)!, 2, 1);   // 2 prefill + 1 decode
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"bench cluster-ttft: {e.Message}");
                return Task.FromResult(2);
            }

            return RunAsync(parse.GetValue(model), parse.GetValue(systems), parse.GetValue(systemTokens), parse.GetValue(requests),
                parse.GetValue(rate), parse.GetValue(maxTokens), parse.GetValue(blocks), parse.GetValue(output), parse.GetValue(device)!, parse.GetValue(slo), names, settings, ct, placement);
        });
        return command;
    }

    private static async Task<int> RunAsync(string? model, int systems, int systemTokens, int requests, double rate, int maxTokens, int blocks, string? output, string device, double sloMs, string[] policies, IReadOnlyDictionary<string, string> settings, CancellationToken ct,
        (IReadOnlyList<string> Prefill, IReadOnlyList<string> Decode) placement)
    {
        if (sloMs <= 0)
        {
            await Console.Error.WriteLineAsync($"--ttft-slo must be a positive number of milliseconds (got {sloMs.ToString(CultureInfo.InvariantCulture)})");
            return 2;
        }

        var modelPath = model ?? ModelCache.EnsureTinyModel(ModelCache.DefaultDirectory, out _);
        var workload = ClusterTtftBenchWorkload.Build(systems, systemTokens, requests, rate, seed: 7);
        var setup = $"model {modelPath}; 2 prefill + 1 decode workers in one process ({device}), every request disaggregated; {requests} requests, Poisson {rate}/s, " +
                    $"{systems} shared prefixes × {systemTokens} tokens + 16–63-token suffixes, {maxTokens} output tokens; prefill KvCache:NumBlocks {blocks} " +
                    (blocks > 0
                        ? $"(block 16: one worker caches {blocks * 16 / systemTokens} of {systems} prefixes, {blocks / ((systemTokens + 63 + 15) / 16)} with a request of each in flight)"
                        : "(engine default: every prefix fits)") +
                    (settings.Count > 0 ? $"; --set {string.Join(" ", settings.Select(kv => $"{kv.Key}={kv.Value}"))}" : "");
        Console.WriteLine(setup);
        var results = new List<ClusterTtftBenchRunner.Result>();
        foreach (var policy in policies)
        {
            Console.WriteLine($"running Routing:PrefillPolicy={policy} on a fresh cluster...");
            results.Add(await ClusterTtftBenchRunner.RunAsync(modelPath, policy, blocks, maxTokens, workload, ct, device, settings, placement.Prefill, placement.Decode));
        }

        var table = Table(results, sloMs);
        foreach (var r in results)
        {
            table += $"\nwhere {r.Policy}'s time went:\n{ClusterTtftBenchTrace.Describe(r.Trace)}" +
                     $"  advertised prefill rate at the end (tokens/s): {string.Join(", ", r.PrefillRates.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F0}")))}\n";
        }

        Console.WriteLine(table);
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output + ".md", $"# cluster bench cluster-ttft\n\n{setup}\n\n{table}\n", ct);
            await File.WriteAllTextAsync(output + ".json", JsonSerializer.Serialize(results.Select(r => new
            {
                policy = r.Policy, requests = r.TtftMs.Length, failed = r.Failed, ttft_mean_ms = r.Mean, ttft_p50_ms = r.Percentile(50), ttft_p99_ms = r.Percentile(99),
                prompt_tokens = r.PromptTokens, cached_prompt_tokens = r.CachedPromptTokens, computed_by_prefill_worker = r.ComputedByPrefillWorker,
                wall_s = r.Wall.TotalSeconds, ttft_slo_ms = sloMs, attainment = r.Attainment(sloMs), goodput_rps = r.Goodput(sloMs),
                prefill_rate_by_worker = r.PrefillRates,
                requests_by_prefill_worker = r.Trace.GroupBy(t => t.PrefillWorker).ToDictionary(g => g.Key, g => g.Count()),
                per_request = r.Trace.Select(t => new
                {
                    prefill_worker = t.PrefillWorker, before_reserve_ms = Json(t.BeforeReserve), reserve_ms = Json(t.Reserve), prefill_call_ms = Json(t.Prefill),
                    first_token_on_prefill_ms = Json(t.FirstToken), push_exposed_ms = Json(t.PushExposed), prefill_cached = t.PrefillCached,
                    decode_cached = t.DecodeCached, pushed_bytes = t.PushedBytes, total_ms = Json(t.Total),
                }),
            }), new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }), ct);
            Console.WriteLine($"wrote {output}.md and {output}.json");
        }

        return results.All(r => r.Failed == 0) ? 0 : 1;
    }

    private static double? Json(double value) => double.IsFinite(value) ? Math.Round(value, 1) : null;

    private static string Table(IReadOnlyList<ClusterTtftBenchRunner.Result> results, double sloMs)
    {
        var b = new StringBuilder();
        var slo = sloMs.ToString("0.#", CultureInfo.InvariantCulture);
        b.AppendLine(CultureInfo.InvariantCulture, $"| prefill policy | requests ok | TTFT mean ms | p50 ms | p99 ms | within TTFT ≤ {slo} ms | goodput req/s | prompt tokens from cache | prompt tokens computed per prefill worker | wall s |");
        b.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"| {r.Policy} | {r.TtftMs.Length} (failed {r.Failed}) | {r.Mean:F1} | {r.Percentile(50):F1} | {r.Percentile(99):F1} | {r.Attainment(sloMs):P1} | {r.Goodput(sloMs):F2} | " +
                $"{r.CacheHitFraction:P1} | {string.Join(", ", r.ComputedByPrefillWorker.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))} | {r.Wall.TotalSeconds:F1} |");
        }

        if (results.Count >= 2 && results[1].Mean > 0)
        {
            var goodput = results[1].Goodput(sloMs) > 0
                ? string.Create(CultureInfo.InvariantCulture, $"×{results[0].Goodput(sloMs) / results[1].Goodput(sloMs):F2}")
                : $"{results[1].Policy} 0";
            b.AppendLine(CultureInfo.InvariantCulture, $"\n{results[0].Policy} / {results[1].Policy}: mean TTFT ×{results[0].Mean / results[1].Mean:F2}, p50 ×{results[0].Percentile(50) / results[1].Percentile(50):F2}, p99 ×{results[0].Percentile(99) / results[1].Percentile(99):F2}, goodput at TTFT ≤ {slo} ms {goodput}");
        }

        return b.ToString();
    }
}
