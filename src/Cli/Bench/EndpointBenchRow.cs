using System.Text.Json.Serialization;
using static Cluster.Cli.Bench.ServeBenchResult;

namespace Cluster.Cli.Bench;

/// <summary>A TTFT and TPOT bound, ms; a request meets it when both hold (and it succeeded).</summary>
public sealed record EndpointBenchSlo([property: JsonPropertyName("ttft_ms")] double TtftMs, [property: JsonPropertyName("tpot_ms")] double TpotMs)
{
    public static EndpointBenchSlo Parse(string text)
    {
        var parts = text.Split(':');
        return parts.Length == 2 && double.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var ttft) &&
               double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var tpot) && ttft > 0 && tpot > 0
            ? new EndpointBenchSlo(ttft, tpot)
            : throw new ArgumentException($"--slo must be TTFT_MS:TPOT_MS, both > 0 (got '{text}').");
    }

    public override string ToString() => $"TTFT<={F(TtftMs, "0.##")}ms,TPOT<={F(TpotMs, "0.##")}ms";
}

/// <summary>Goodput at one SLO: requests meeting it per second of the phase, and as a share of all requests sent.</summary>
public sealed record EndpointBenchGoodput(
    [property: JsonPropertyName("slo")] EndpointBenchSlo Slo,
    [property: JsonPropertyName("goodput_rps")] double RequestsPerSecond,
    [property: JsonPropertyName("attainment_pct")] double AttainmentPercent);

/// <summary>p50 / p90 / p99 of one latency, ms (NaN when nothing succeeded).</summary>
public sealed record EndpointBenchPercentiles([property: JsonPropertyName("p50")] double P50, [property: JsonPropertyName("p90")] double P90, [property: JsonPropertyName("p99")] double P99)
{
    public static EndpointBenchPercentiles Of(IReadOnlyList<double> values) => new(Percentile(values, 50), Percentile(values, 90), Percentile(values, 99));

    public override string ToString() => $"{F(P50)} / {F(P90)} / {F(P99)}";
}

/// <summary>What one system did at one offered rate.</summary>
public sealed record EndpointBenchRow(
    [property: JsonPropertyName("system")] string System,
    [property: JsonPropertyName("rate")] double Rate,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("ok")] int Ok,
    [property: JsonPropertyName("http_4xx")] int Http4xx,
    [property: JsonPropertyName("http_5xx")] int Http5xx,
    [property: JsonPropertyName("other_failed")] int OtherFailed,
    [property: JsonPropertyName("wall_s")] double WallSeconds,
    [property: JsonPropertyName("mean_prompt_tokens")] double MeanPromptTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("requests_per_s")] double RequestsPerSecond,
    [property: JsonPropertyName("output_tokens_per_s")] double OutputTokensPerSecond,
    [property: JsonPropertyName("ttft_ms")] EndpointBenchPercentiles Ttft,
    [property: JsonPropertyName("tpot_ms")] EndpointBenchPercentiles Tpot,
    [property: JsonPropertyName("itl_ms")] EndpointBenchPercentiles Itl,
    [property: JsonPropertyName("e2e_ms")] EndpointBenchPercentiles EndToEnd,
    [property: JsonPropertyName("goodput")] IReadOnlyList<EndpointBenchGoodput> Goodput)
{
    public static EndpointBenchRow From(string system, double rate, IReadOnlyList<EndpointBenchClient.Outcome> outcomes, double wallSeconds, IReadOnlyList<EndpointBenchSlo> slos)
    {
        var ok = outcomes.Where(o => o.Ok).ToArray();
        var http4xx = outcomes.Count(o => o.Status is >= 400 and < 500);
        var http5xx = outcomes.Count(o => o.Status >= 500);
        var wall = Math.Max(wallSeconds, 1e-9);
        return new EndpointBenchRow(system, rate, outcomes.Count, ok.Length, http4xx, http5xx, outcomes.Count - ok.Length - http4xx - http5xx, wallSeconds,
            ok.Length == 0 ? double.NaN : ok.Average(o => (double)o.PromptTokens), ok.Sum(o => (long)o.Tokens), ok.Length / wall, ok.Sum(o => (double)o.Tokens) / wall,
            EndpointBenchPercentiles.Of([.. ok.Select(o => o.TtftMs)]), EndpointBenchPercentiles.Of([.. ok.Where(o => o.Tokens > 1).Select(o => o.TpotMs)]),
            EndpointBenchPercentiles.Of([.. ok.SelectMany(o => o.ItlMs)]), EndpointBenchPercentiles.Of([.. ok.Select(o => o.EndMs)]),
            [.. slos.Select(s =>
            {
                var met = ok.Count(o => o.TtftMs <= s.TtftMs && o.TpotMs <= s.TpotMs);
                return new EndpointBenchGoodput(s, met / wall, outcomes.Count == 0 ? 0 : 100.0 * met / outcomes.Count);
            })]);
    }

    /// <summary>
    /// The offered rate at which a system's attainment of <paramref name="slo"/> first drops below
    /// <paramref name="percent"/>, interpolated linearly between the two swept rates around the drop; null while it
    /// never drops, the lowest rate when it is already below there; with a sentence saying which.
    /// </summary>
    public static (double? Rate, string Text) FallsBelow(IEnumerable<EndpointBenchRow> rowsOfOneSystem, EndpointBenchSlo slo, double percent = 90)
    {
        var points = rowsOfOneSystem.OrderBy(r => r.Rate).Select(r => (r.Rate, Pct: r.Goodput.First(g => g.Slo == slo).AttainmentPercent)).ToArray();
        for (var i = 0; i < points.Length; i++)
        {
            if (points[i].Pct >= percent)
            {
                continue;
            }

            if (i == 0)
            {
                return (points[0].Rate, $"already below {F(percent, "0")} % at {F(points[0].Rate, "0.##")}/s, the lowest rate run");
            }

            var (r0, p0) = points[i - 1];
            var (r1, p1) = points[i];
            var rate = r0 + (r1 - r0) * (p0 - percent) / (p0 - p1);
            return (rate, $"falls below {F(percent, "0")} % at {F(rate, "0.##")}/s (interpolated between {F(r0, "0.##")} and {F(r1, "0.##")}/s)");
        }

        return (null, points.Length == 0 ? "no rates run" : $"stays at or above {F(percent, "0")} % up to {F(points[^1].Rate, "0.##")}/s, the highest rate run");
    }
}
