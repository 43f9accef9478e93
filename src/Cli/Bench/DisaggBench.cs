using System.Globalization;
using System.Text.Json;

namespace Cluster.Cli.Bench;

/// <summary>
/// The whole <c>bench disagg</c> run: for each mode, rate and config a fresh cluster and one phase (same requests for both
/// configs at a rate), a progress line per phase, then the table, the comparisons and, with an output stem, STEM.md and STEM.json.
/// </summary>
public static class DisaggBench
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Everything a run needs (the command's options).</summary>
    public sealed record Options(DisaggBenchRunner.Settings Settings, IReadOnlyList<string> Modes, IReadOnlyList<string> Configs, IReadOnlyList<double> Rates,
        IReadOnlyList<int> Requests, int PromptTokens, string Workload, int Groups, int PrefixTokens, int Warmup, double TtftSloMs, double TpotSloMs, int Seed, string? Out);

    /// <summary>The rows, the markdown report, and whether every comparison passed (and every request succeeded).</summary>
    public sealed record Report(IReadOnlyList<DisaggBenchRow> Rows, string Markdown, bool AllPass);

    public static async Task<Report> RunAsync(Options o, TextWriter log, CancellationToken ct)
    {
        var shape = DisaggBenchModelShape.Read(o.Settings.ModelPath);
        o.Settings.Set.TryGetValue("Worker:DType", out var dtype);
        var elementSize = DisaggBenchModelShape.ElementSize(o.Settings.Device, dtype);
        var bytesPerToken = shape.KvBytesPerToken(elementSize);
        var prefix = o.Workload == DisaggBenchWorkload.SharedPrefix ? I($" ({o.Groups} groups × {o.PrefixTokens}-token prefix, interleaved)") : "";
        var sets = o.Settings.Set.Count == 0 ? "none" : string.Join(", ", o.Settings.Set.Select(kv => $"{kv.Key}={kv.Value}"));
        var setup = I($"model {o.Settings.ModelPath} ({shape.Layers} layers, {shape.KvHeads} kv heads × {shape.HeadDim}, vocab {shape.VocabSize}; KV {bytesPerToken:N0} B/token at {elementSize} B/value); ")
            + I($"device {o.Settings.Device}{Placed(o.Settings)}; 1 prefill + 1 decode worker; workload {o.Workload}{prefix}; {o.PromptTokens}-token prompts, {o.Settings.MaxTokens} output tokens (ignore_eos), ")
            + I($"Poisson arrivals (seed {o.Seed}); {o.Warmup} warm-up requests per cluster; SLO TTFT <= {o.TtftSloMs} ms, TPOT <= {o.TpotSloMs} ms; settings: {sets}");
        await log.WriteLineAsync(setup);
        var rows = new List<DisaggBenchRow>();
        var failures = new List<string>();
        foreach (var mode in o.Modes)
        {
            for (var i = 0; i < o.Rates.Count; i++)
            {
                var rate = o.Rates[i];
                var n = o.Requests[Math.Min(i, o.Requests.Count - 1)];
                var workload = DisaggBenchWorkload.Build(o.Workload, shape, n, rate, o.PromptTokens, o.Groups, o.PrefixTokens, o.Warmup, o.Seed + i);
                var uncachedBytes = workload.UncachedTokensPerRequest() * bytesPerToken;
                foreach (var config in o.Configs)
                {
                    var started = DateTime.UtcNow;
                    await log.WriteLineAsync(I($"[{started:HH:mm:ss}] {mode} / {config} @ {rate:0.##}/s: {n} requests on a fresh cluster..."));
                    DisaggBenchRunner.Phase phase;
                    try
                    {
                        phase = await DisaggBenchRunner.RunAsync(o.Settings, mode, config, rate, workload, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        failures.Add(I($"{mode} / {config} @ {rate:0.##}/s did not run: {e.GetType().Name}: {e.Message.Split('\n')[0]}"));
                        await log.WriteLineAsync("  " + failures[^1]);
                        continue;
                    }

                    var row = DisaggBenchRow.From(phase, o.Workload, o.TtftSloMs, o.TpotSloMs, uncachedBytes);
                    rows.Add(row);
                    await log.WriteLineAsync(I($"  {phase.ClusterMode}: ok {row.Ok}/{row.Requests}, TTFT p50 {row.TtftP50:F1} ms, p99 {row.TtftP99:F1} ms, TPOT p50 {row.TpotP50:F2} ms, ") +
                        I($"{row.OutTokensPerSecond:F1} tok/s, within SLO {row.WithinSloPercent:F1}%, KV {row.KvBytesPerRequest:N0} B/req ({(DateTime.UtcNow - started).TotalSeconds:F0} s)"));
                    await WriteAsync(o, setup, bytesPerToken, rows, failures, ct); // after every phase: a run cut short by a timeout keeps what it measured
                }
            }
        }

        var (markdown, pass) = await WriteAsync(o, setup, bytesPerToken, rows, failures, ct);
        await log.WriteLineAsync(markdown);
        if (o.Out is not null)
        {
            await log.WriteLineAsync($"wrote {o.Out}.md and {o.Out}.json");
        }

        return new Report(rows, markdown, pass && failures.Count == 0 && rows.All(r => r.Ok == r.Requests));
    }

    /// <summary>The markdown of the rows so far (and STEM.md / STEM.json with an output stem); true when every comparison passed.</summary>
    private static async Task<(string Markdown, bool Pass)> WriteAsync(Options o, string setup, long bytesPerToken, IReadOnlyList<DisaggBenchRow> rows, IReadOnlyList<string> failures,
        CancellationToken ct)
    {
        var comparisons = DisaggBenchRow.Comparisons(rows).ToArray();
        var bound = o.Workload == DisaggBenchWorkload.SharedPrefix && rows.Count > 0
            ? I($"\nUncached suffix bound (worst case, whole 16-token blocks, a group's first request whole): {rows[0].UncachedBytesPerRequest:N0} B/request.\n")
            : "";
        var markdown = $"{setup}\n\n{DisaggBenchRow.Table(rows)}{bound}\n{string.Join("\n", comparisons.Select(c => "- " + c.Line).Concat(failures.Select(f => "- " + f)))}\n";
        if (o.Out is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(o.Out))!);
            await File.WriteAllTextAsync(o.Out + ".md", $"# cluster bench disagg ({o.Workload})\n\n{markdown}", ct);
            await File.WriteAllTextAsync(o.Out + ".json", JsonSerializer.Serialize(new
            {
                setup, kv_bytes_per_token = bytesPerToken, rows, comparisons = comparisons.Select(c => new { line = c.Line, pass = c.Pass }), failures,
            }, JsonOptions), ct);
        }

        return (markdown, comparisons.All(c => c.Pass));
    }

    private static string I(FormattableString s) => FormattableString.Invariant(s);

    private static string Placed(DisaggBenchRunner.Settings s) => s.PrefillDevices.Count + s.DecodeDevices.Count == 0 ? ""
        : $" (prefill on {(s.PrefillDevices.Count > 0 ? string.Join(",", s.PrefillDevices) : s.Device)}, decode on {(s.DecodeDevices.Count > 0 ? string.Join(",", s.DecodeDevices) : s.Device)})";
}
