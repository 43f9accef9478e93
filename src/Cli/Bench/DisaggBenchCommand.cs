using System.CommandLine;
using System.Globalization;
using Cluster.Cli.Up;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench disagg</c>: colocated against disaggregated serving (1 prefill + 1 decode worker), in one process and
/// as child processes with Redis, at several Poisson rates; streamed <c>/v1/completions</c> over HTTP; TTFT, TPOT,
/// output tokens/s, share within the SLOs, 5xx/429 and the KV bytes the workers received, with PASS/FAIL per goal.
/// </summary>
internal static class DisaggBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model directory (default: the generated tiny model, fp32 CPU)" };
        var device = new Option<string>("--device") { Description = "Workers' device: cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var (prefillDevices, decodeDevices) = Commands.UpCommand.DevicePlacementOptions();
        var modes = new Option<string>("--modes") { Description = "one-process, processes (comma-separated)", DefaultValueFactory = _ => "one-process,processes" };
        var configs = new Option<string>("--configs") { Description = "colocated, disaggregated (always), auto (the router's measured-cost decision) (comma-separated)", DefaultValueFactory = _ => "colocated,disaggregated" };
        var rates = new Option<string>("--rates") { Description = "Poisson arrival rates, requests/s (comma-separated)", DefaultValueFactory = _ => "4,16" };
        var requests = new Option<string>("--requests") { Description = "Measured requests per phase; one value, or one per rate (comma-separated)", DefaultValueFactory = _ => "64" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length, tokens", DefaultValueFactory = _ => 1024 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Output tokens per request (ignore_eos)", DefaultValueFactory = _ => 128 };
        var workload = new Option<string>("--workload") { Description = "random | shared-prefix", DefaultValueFactory = _ => DisaggBenchWorkload.Random };
        var groups = new Option<int>("--groups") { Description = "shared-prefix: number of prefixes", DefaultValueFactory = _ => 4 };
        var prefixTokens = new Option<int>("--prefix-tokens") { Description = "shared-prefix: tokens per shared prefix", DefaultValueFactory = _ => 768 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured requests per fresh cluster", DefaultValueFactory = _ => 3 };
        var ttftSlo = new Option<double>("--ttft-slo-ms") { DefaultValueFactory = _ => 250 };
        var tpotSlo = new Option<double>("--tpot-slo-ms") { DefaultValueFactory = _ => 25 };
        var set = new Option<string[]>("--set") { Description = "Section:Key=value for every role (repeatable), e.g. KvCache:NumBlocks=16000", AllowMultipleArgumentsPerToken = false };
        var redis = new Option<string?>("--redis") { Description = "processes mode: this Redis (host:port); default: start a local redis-server (REDIS_SERVER=path, else PATH)" };
        var redisServer = new Option<string?>("--redis-server") { Description = "Path of the redis-server to start (sets REDIS_SERVER)" };
        var logDir = new Option<string?>("--log-dir") { Description = "processes mode: folder of the roles' logs (default: a temporary folder)" };
        var timeout = new Option<double>("--timeout") { Description = "Per-request timeout, seconds", DefaultValueFactory = _ => 120 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Also write STEM.md and STEM.json" };
        var command = new Command("disagg", "Colocated vs disaggregated serving through the cluster (HTTP, streamed), one process and child processes, several rates.")
        {
            model, device, prefillDevices, decodeDevices, modes, configs, rates, requests, promptTokens, maxTokens, workload, groups, prefixTokens, warmup, ttftSlo, tpotSlo, set, redis, redisServer,
            logDir, timeout, seed, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                if (parse.GetValue(redisServer) is { Length: > 0 } path)
                {
                    Environment.SetEnvironmentVariable("REDIS_SERVER", path);
                }

                var modelPath = parse.GetValue(model) ?? ModelCache.EnsureTinyModel(ModelCache.DefaultDirectory, out _);
                var settings = new DisaggBenchRunner.Settings(modelPath, parse.GetValue(device)!, ParseSet(parse.GetValue(set) ?? []), parse.GetValue(maxTokens),
                    TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(redis),
                    parse.GetValue(logDir) ?? Directory.CreateTempSubdirectory("cluster-bench-disagg-").FullName, TimeSpan.FromMinutes(5))
                {
                    PrefillDevices = DevicePlacement.ParseList(parse.GetValue(prefillDevices), DevicePlacement.PrefillOption),
                    DecodeDevices = DevicePlacement.ParseList(parse.GetValue(decodeDevices), DevicePlacement.DecodeOption),
                };
                DevicePlacement.ParseChecked(parse.GetValue(prefillDevices), parse.GetValue(decodeDevices), settings.Device, 1, 1);   // 1 prefill + 1 decode
                var options = new DisaggBench.Options(settings, List(parse.GetValue(modes)!), List(parse.GetValue(configs)!),
                    List(parse.GetValue(rates)!).Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray(),
                    List(parse.GetValue(requests)!).Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray(), parse.GetValue(promptTokens), parse.GetValue(workload)!,
                    parse.GetValue(groups), parse.GetValue(prefixTokens), parse.GetValue(warmup), parse.GetValue(ttftSlo), parse.GetValue(tpotSlo), parse.GetValue(seed), parse.GetValue(output));
                if (options.Modes.Contains(DisaggBenchRunner.Processes))
                {
                    Console.WriteLine($"processes mode: roles' logs under {settings.LogDirectory}");
                }

                var report = await DisaggBench.RunAsync(options, Console.Out, ct);
                return report.AllPass ? 0 : 1;
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                await Console.Error.WriteLineAsync($"bench disagg: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary><c>Section:Key=value</c> pairs; throws on a pair without '='.</summary>
    public static Dictionary<string, string> ParseSet(IEnumerable<string> pairs) => pairs.Select(p => p.Split('=', 2)).ToDictionary(
        p => p.Length == 2 && p[0].Length > 0 ? p[0].TrimStart('-') : throw new ArgumentException($"--set wants Section:Key=value (got '{string.Join('=', p)}')."),
        p => p[1]);
}
