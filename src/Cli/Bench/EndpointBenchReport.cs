using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using static Cluster.Cli.Bench.ServeBenchResult;

namespace Cluster.Cli.Bench;

/// <summary>The rows of a <c>bench serve --endpoint</c> run as a markdown table, JSON (read back by <c>--include</c>) and an SVG plot.</summary>
public sealed record EndpointBenchReport(
    [property: JsonPropertyName("setup")] string Setup,
    [property: JsonPropertyName("slos")] IReadOnlyList<EndpointBenchSlo> Slos,
    [property: JsonPropertyName("rows")] IReadOnlyList<EndpointBenchRow> Rows)
{
    public static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static EndpointBenchReport FromJson(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<EndpointBenchReport>(File.ReadAllText(path), Json) ?? throw new ArgumentException($"--include: {path} holds no report.");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--include: {path} is not a bench serve --endpoint JSON report ({e.Message}).");
        }
    }

    public string Markdown()
    {
        var b = new StringBuilder();
        b.Append("| system | rate/s | ok / n | 4xx | 5xx | req/s | out tok/s | mean prompt tok | TTFT p50 / p90 / p99 ms | TPOT p50 / p90 / p99 ms | ITL p50 / p90 / p99 ms | E2E p50 / p90 / p99 ms |");
        foreach (var s in Slos) b.Append(" goodput req/s, attainment % @ ").Append(s).Append(" |");
        b.Append("\n|---|---|---|---|---|---|---|---|---|---|---|---|").Append(string.Concat(Slos.Select(_ => "---|"))).Append('\n');
        foreach (var r in Rows.GroupBy(r => r.System).SelectMany(g => g.OrderBy(r => r.Rate)))
        {
            b.Append($"| {r.System} | {F(r.Rate, "0.##")} | {r.Ok} / {r.Requests} | {r.Http4xx} | {r.Http5xx} | {F(r.RequestsPerSecond, "F2")} | {F(r.OutputTokensPerSecond)} | {F(r.MeanPromptTokens)} | ")
                .Append($"{r.Ttft} | {r.Tpot} | {r.Itl} | {r.EndToEnd} |");
            foreach (var g in r.Goodput) b.Append($" {F(g.RequestsPerSecond, "F2")}, {F(g.AttainmentPercent)} |");
            b.Append('\n');
        }

        b.Append('\n');
        foreach (var system in Rows.GroupBy(r => r.System))
        {
            foreach (var s in Slos)
            {
                b.Append($"{system.Key}, SLO {s}: attainment {EndpointBenchRow.FallsBelow(system, s).Text}\n");
            }
        }

        return b.ToString();
    }

    /// <summary>Four panels against offered rate, one line per system: TTFT p99, TPOT p99, goodput and attainment per SLO.</summary>
    public string Svg()
    {
        const int panelWidth = 360, panelHeight = 240, margin = 48;
        string[] colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
        var systems = Rows.Select(r => r.System).Distinct().ToArray();
        var panels = new List<(string Title, Func<EndpointBenchRow, int, double> Value, int Series, double? Guide)>
        {
            ("TTFT p99 (ms)", (r, _) => r.Ttft.P99, 1, null),
            ("TPOT p99 (ms)", (r, _) => r.Tpot.P99, 1, null),
            ("goodput (req/s), one dash per SLO", (r, i) => r.Goodput[i].RequestsPerSecond, Slos.Count, null),
            ("SLO attainment (%), one dash per SLO", (r, i) => r.Goodput[i].AttainmentPercent, Slos.Count, 90),
        };
        var width = panels.Count * (panelWidth + margin) + margin;
        var height = panelHeight + 2 * margin + 18 * (systems.Length + Slos.Count);
        var svg = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        var rates = Rows.Select(r => r.Rate).DefaultIfEmpty(1).ToArray();
        var (xMin, xMax) = (0.0, rates.Max() * 1.05);
        for (var p = 0; p < panels.Count; p++)
        {
            var (title, value, series, guide) = panels[p];
            var ox = margin + p * (panelWidth + margin);
            var finite = Rows.SelectMany(r => Enumerable.Range(0, series).Select(i => value(r, i))).Where(double.IsFinite).DefaultIfEmpty(1).ToArray();
            var yMax = Math.Max(finite.Max(), guide ?? 0) * 1.1;
            yMax = yMax > 0 ? yMax : 1;
            double X(double v) => ox + (v - xMin) / (xMax - xMin) * panelWidth;
            double Y(double v) => margin + panelHeight - v / yMax * panelHeight;
            svg.Append($"<text x=\"{ox}\" y=\"{margin - 12}\" font-weight=\"bold\">{Escape(title)}</text>\n");
            svg.Append($"<rect x=\"{ox}\" y=\"{margin}\" width=\"{panelWidth}\" height=\"{panelHeight}\" fill=\"none\" stroke=\"#888\"/>\n");
            svg.Append($"<text x=\"{ox}\" y=\"{margin + panelHeight + 14}\">0</text><text x=\"{ox + panelWidth - 40}\" y=\"{margin + panelHeight + 14}\">{F(xMax, "0.#")} req/s</text>\n");
            svg.Append($"<text x=\"{ox + 2}\" y=\"{margin + 12}\">{F(yMax, "0.##")}</text>\n");
            if (guide is { } g)
            {
                svg.Append($"<line x1=\"{F(X(xMin))}\" x2=\"{F(X(xMax))}\" y1=\"{F(Y(g))}\" y2=\"{F(Y(g))}\" stroke=\"#aaa\" stroke-dasharray=\"2,3\"/>\n");
            }

            for (var s = 0; s < systems.Length; s++)
            {
                var rows = Rows.Where(r => r.System == systems[s]).OrderBy(r => r.Rate).ToArray();
                for (var i = 0; i < series; i++)
                {
                    var points = rows.Where(r => double.IsFinite(value(r, i))).Select(r => $"{F(X(r.Rate))},{F(Y(value(r, i)))}").ToArray();
                    var dash = i == 0 ? "" : $" stroke-dasharray=\"{6 - 2 * Math.Min(i, 2)},3\"";
                    svg.Append($"<polyline class=\"series\" data-system=\"{Escape(systems[s])}\" fill=\"none\" stroke=\"{colours[s % colours.Length]}\" stroke-width=\"2\"{dash} points=\"{string.Join(' ', points)}\"/>\n");
                }
            }
        }

        var ly = margin + panelHeight + 36;
        for (var s = 0; s < systems.Length; s++, ly += 18)
        {
            svg.Append($"<rect x=\"{margin}\" y=\"{ly - 9}\" width=\"14\" height=\"4\" fill=\"{colours[s % colours.Length]}\"/><text x=\"{margin + 20}\" y=\"{ly}\">{Escape(systems[s])}</text>\n");
        }

        for (var i = 0; i < Slos.Count; i++, ly += 18)
        {
            svg.Append($"<text x=\"{margin}\" y=\"{ly}\">SLO {i + 1} ({(i == 0 ? "solid" : "dashed")}): {Escape(Slos[i].ToString())}</text>\n");
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text) ?? "";
}
