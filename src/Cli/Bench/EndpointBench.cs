using System.Diagnostics;
using static Cluster.Cli.Bench.ServeBenchResult;

namespace Cluster.Cli.Bench;

/// <summary>
/// <c>cluster bench serve --endpoint URL</c>: drives any OpenAI-compatible completions endpoint (ours, vLLM,
/// <c>transformers serve</c>) with a trace, at each offered rate of a sweep (Poisson arrivals, the same requests and
/// arrival times for every system at a rate) or replaying the trace's own arrival times, and measures what users
/// compare serving systems by: TTFT, TPOT, ITL and end-to-end percentiles, throughput, and goodput with SLO attainment
/// per TTFT/TPOT bound.
/// </summary>
public static class EndpointBench
{
    /// <summary>One system under test: a label for the tables and plot, and its base URL.</summary>
    public sealed record Target(string Label, Uri Url)
    {
        /// <summary><c>label=URL</c> or a bare URL (labelled by its host and port).</summary>
        public static Target Parse(string text)
        {
            var eq = text.IndexOf('=');
            var (label, url) = eq > 0 && !text[..eq].Contains("://", StringComparison.Ordinal) ? (text[..eq], text[(eq + 1)..]) : (null, text);
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"--endpoint must be [LABEL=]http(s)://host:port (got '{text}').");
            }

            return new Target(label ?? uri.Authority, uri);
        }
    }

    /// <summary>
    /// A run: the systems, the trace, the rates (empty: replay the trace's arrival times), the SLOs, and how prompts are
    /// made. <paramref name="Warmup"/> requests per system, unmeasured, go first. <paramref name="ApiKey"/> null: from the
    /// environment (<see cref="EndpointBenchClient.ApiKeyVariables"/>).
    /// </summary>
    public sealed record Options(IReadOnlyList<Target> Targets, string? ServedModel, IReadOnlyList<EndpointBenchTraceLine> Trace, string TraceName,
        IReadOnlyList<double> Rates, IReadOnlyList<EndpointBenchSlo> Slos, EndpointBenchPrompts Prompts, bool IgnoreEos, int Warmup, int Seed, TimeSpan Timeout,
        bool ProgressBar = false, string? ApiKey = null);

    public static async Task<EndpointBenchReport> RunAsync(Options o, TextWriter log, CancellationToken ct)
    {
        if (o.Targets.Count == 0 || o.Slos.Count == 0 || o.Rates.Any(r => !(r > 0) || !double.IsFinite(r)))
        {
            throw new ArgumentException("bench serve --endpoint needs at least one --endpoint, one --slo, and rates > 0.");
        }

        var rows = new List<EndpointBenchRow>();
        var rates = o.Rates.Count == 0 ? [double.NaN] : o.Rates;
        foreach (var target in o.Targets)
        {
            using var client = new EndpointBenchClient(target.Url, o.Timeout, o.ApiKey);
            var model = o.ServedModel ?? await client.FirstModelAsync(ct);
            await log.WriteLineAsync($"{target.Label}: {target.Url} model {model}");
            for (var i = 0; i < o.Warmup; i++)
            {
                var warm = await client.CompleteAsync(model, o.Prompts.For(o.Trace[i % o.Trace.Count], i, round: -1), 8, o.IgnoreEos, ct);
                if (!warm.Ok) await log.WriteLineAsync($"  warm-up request failed: {warm.Error}");
            }

            for (var round = 0; round < rates.Count; round++)
            {
                var rate = rates[round];
                var arrivals = Arrivals(o.Trace, rate, o.Seed);
                var offered = double.IsNaN(rate) ? o.Trace.Count / Math.Max(arrivals[^1], 1e-9) : rate;
                var label = double.IsNaN(rate) ? $"replay ({F(offered, "0.##")}/s)" : $"{F(rate, "0.##")}/s";
                var (outcomes, wall) = await PhaseAsync(client, model, o, round, arrivals, $"{target.Label} @ {label}", log, ct);
                var row = EndpointBenchRow.From(target.Label, offered, outcomes, wall, o.Slos);
                rows.Add(row);
                await log.WriteLineAsync($"  {target.Label} @ {label}: ok {row.Ok}/{row.Requests}, TTFT p50 {F(row.Ttft.P50)} ms, TPOT p50 {F(row.Tpot.P50, "F2")} ms, " +
                    $"{F(row.OutputTokensPerSecond)} out tok/s, goodput {string.Join(", ", row.Goodput.Select(g => $"{F(g.RequestsPerSecond, "F2")} req/s ({F(g.AttainmentPercent)} %)"))}");
                foreach (var failed in outcomes.Where(x => !x.Ok).GroupBy(x => x.Error).Take(3))
                {
                    await log.WriteLineAsync($"    {failed.Count()} failed: {failed.Key}");
                }
            }
        }

        var setup = $"trace {o.TraceName} ({o.Trace.Count} requests, mean prompt {F(o.Trace.Average(l => (double)l.PromptTokens))} tok requested, " +
                    $"mean output {F(o.Trace.Average(l => (double)l.OutputTokens))} tok); " +
                    (o.Rates.Count == 0 ? "replayed arrivals" : $"Poisson arrivals (seed {o.Seed}) at {string.Join(", ", o.Rates.Select(r => F(r, "0.##")))} req/s") +
                    $"; ignore_eos {(o.IgnoreEos ? "on" : "off")}; {o.Warmup} warm-up requests per system; SLOs {string.Join("; ", o.Slos)}";
        return new EndpointBenchReport(setup, o.Slos, rows);
    }

    /// <summary>Arrival offsets in seconds: Poisson at <paramref name="rate"/> (deterministic per seed and rate), or the trace's own when rate is NaN.</summary>
    public static double[] Arrivals(IReadOnlyList<EndpointBenchTraceLine> trace, double rate, int seed)
    {
        if (double.IsNaN(rate))
        {
            return [.. trace.Select(l => l.ArrivalSeconds)];
        }

        var random = new Random(unchecked(seed * 31 + (int)Math.Round(rate * 1000)));
        var t = 0.0;
        return [.. trace.Select(_ => t += -Math.Log(1 - random.NextDouble()) / rate)];
    }

    private static async Task<(EndpointBenchClient.Outcome[] Outcomes, double WallSeconds)> PhaseAsync(EndpointBenchClient client, string model, Options o, int round,
        double[] arrivals, string title, TextWriter log, CancellationToken ct)
    {
        var done = 0;
        var failed = 0;
        var wall = Stopwatch.StartNew();
        var all = Task.WhenAll(o.Trace.Select(async (line, i) =>
        {
            var wait = TimeSpan.FromSeconds(arrivals[i]) - wall.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            var outcome = await client.CompleteAsync(model, o.Prompts.For(line, i, round), line.OutputTokens, o.IgnoreEos, ct);
            if (!outcome.Ok) Interlocked.Increment(ref failed);
            Interlocked.Increment(ref done);
            return outcome;
        }));
        await EndpointBenchProgress.ShowAsync(all, title, o.Trace.Count, () => (Volatile.Read(ref done), Volatile.Read(ref failed)), o.ProgressBar, log, ct);
        var outcomes = await all;
        return (outcomes, wall.Elapsed.TotalSeconds);
    }
}
