using System.CommandLine;
using System.Globalization;

namespace Cluster.Cli.Bench;

/// <summary>
/// The options of <c>cluster bench serve</c> that drive a running endpoint (<see cref="EndpointBench"/>) instead of the
/// in-process engine. <c>--endpoint</c> selects that mode; the engine-only options are then refused by name, and these
/// are refused without it.
/// </summary>
internal sealed class EndpointBenchCommand
{
    public readonly Option<string[]> Endpoints = new("--endpoint")
    {
        Description = "[LABEL=]URL of an OpenAI-compatible server to drive instead of the in-process engine (repeatable: one line per system in the plot). " +
                      "A bearer key is read from CLUSTER_API_KEY or OPENAI_API_KEY",
        AllowMultipleArgumentsPerToken = false,
    };
    public readonly Option<string?> ServedModel = new("--served-model") { Description = "Model name to request (default: the endpoint's first in GET /v1/models)" };
    public readonly Option<string?> Rates = new("--rates") { Description = "Sweep of Poisson rates, req/s, comma-separated (default: --rate)" };
    public readonly Option<bool> Replay = new("--replay") { Description = "Replay the trace's own arrival times instead of Poisson rates" };
    public readonly Option<string?> Trace = new("--trace") { Description = "JSONL trace to run (arrival_s, prompt_tokens or prompt, output_tokens, group, prefix_tokens)" };
    public readonly Option<string> TraceKind = new("--trace-kind") { Description = "Generated trace when no --trace: sharegpt or shared-prefix", DefaultValueFactory = _ => EndpointBenchTrace.ShareGptLike };
    public readonly Option<string?> WriteTrace = new("--write-trace") { Description = "Write the generated trace (JSONL) here and stop" };
    public readonly Option<string[]> Slo = new("--slo") { Description = "TTFT_MS:TPOT_MS goodput bound (repeatable; default 250:25 and 1000:100)" };
    public readonly Option<string> PromptFormat = new("--prompt-format") { Description = "text (any endpoint) or tokens (id arrays; needs --token-ids)", DefaultValueFactory = _ => EndpointBenchPrompts.Text };
    public readonly Option<string?> TokenIds = new("--token-ids") { Description = "START:LIMIT range of token ids for --prompt-format tokens" };
    public readonly Option<bool> NoIgnoreEos = new("--no-ignore-eos") { Description = "Do not send ignore_eos (for servers that refuse it; outputs may then end early)" };
    public readonly Option<int> Warmup = new("--warmup") { Description = "Unmeasured requests per system first", DefaultValueFactory = _ => 2 };
    public readonly Option<int> TimeoutSeconds = new("--timeout") { Description = "Per-request timeout, s", DefaultValueFactory = _ => 300 };
    public readonly Option<string?> PlotOut = new("--plot-out") { Description = "Write an SVG plot (latency, goodput and attainment against rate) here" };
    public readonly Option<string?> MarkdownOut = new("--markdown-out") { Description = "Write the markdown table here" };
    public readonly Option<string[]> Include = new("--include") { Description = "Earlier --json-out reports whose systems join this run's table and plot (repeatable)" };

    private Option[] All => [Endpoints, ServedModel, Rates, Replay, Trace, TraceKind, WriteTrace, Slo, PromptFormat, TokenIds, NoIgnoreEos, Warmup, TimeoutSeconds, PlotOut, MarkdownOut, Include];

    /// <summary>Values the endpoint mode shares with the engine mode's options.</summary>
    /// <summary>The serve command's options this mode shares; <paramref name="RequestsGiven"/>: --requests was on the command line (it then also caps a --trace file to its first N lines).</summary>
    public sealed record Shared(int Requests, double Rate, int SharedPrefix, int Prefixes, int Seed, string? JsonOut, bool RequestsGiven = false);

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>Whether this run drives an endpoint (or only writes a trace); refuses the other mode's options by name.</summary>
    public bool Selected(ParseResult parse, IEnumerable<Option> engineOnly)
    {
        var endpointMode = parse.GetValue(Endpoints) is { Length: > 0 } || parse.GetValue(WriteTrace) is not null;
        var wrong = (endpointMode ? engineOnly : All.Except([Endpoints, WriteTrace, Trace])).Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();
        if (wrong.Length > 0)
        {
            throw new ArgumentException(endpointMode
                ? $"{string.Join(", ", wrong)}: options of the in-process engine run, not of --endpoint (which drives a running server)."
                : $"{string.Join(", ", wrong)}: options of --endpoint (driving a running server); add --endpoint URL.");
        }

        return endpointMode;
    }

    public async Task<int> RunAsync(ParseResult parse, Shared shared, CancellationToken ct)
    {
        var traceFile = parse.GetValue(Trace);
        var trace = traceFile is not null
            ? [.. EndpointBenchTrace.Read(traceFile).Take(shared.RequestsGiven ? shared.Requests : int.MaxValue)]
            : EndpointBenchTrace.Generate(parse.GetValue(TraceKind)!, shared.Requests, shared.Rate, shared.Prefixes, shared.SharedPrefix, shared.Seed);
        if (parse.GetValue(WriteTrace) is { } write)
        {
            EndpointBenchTrace.Write(write, trace);
            Console.WriteLine($"{write}: {trace.Count} requests, mean prompt {trace.Average(l => (double)l.PromptTokens):F1} tok, mean output {trace.Average(l => (double)l.OutputTokens):F1} tok");
            return 0;
        }

        if (parse.GetValue(Replay) && parse.GetValue(Rates) is not null)
        {
            throw new ArgumentException("--replay and --rates: choose one (replay uses the trace's arrival times).");
        }

        var rates = parse.GetValue(Replay) ? [] : ParseRates(parse.GetValue(Rates)) ?? [shared.Rate];
        var slos = parse.GetValue(Slo) is { Length: > 0 } given ? given.Select(EndpointBenchSlo.Parse).ToArray() : [new(250, 25), new(1000, 100)];
        var options = new EndpointBench.Options([.. parse.GetValue(Endpoints)!.Select(EndpointBench.Target.Parse)], parse.GetValue(ServedModel), trace,
            traceFile is null ? $"{parse.GetValue(TraceKind)} (generated, seed {shared.Seed})" : Path.GetFileName(traceFile), rates, slos,
            new EndpointBenchPrompts(parse.GetValue(PromptFormat)!, parse.GetValue(TokenIds), shared.Seed), !parse.GetValue(NoIgnoreEos),
            parse.GetValue(Warmup), shared.Seed, TimeSpan.FromSeconds(parse.GetValue(TimeoutSeconds)), ProgressBar: true);
        var included = (parse.GetValue(Include) ?? []).Select(EndpointBenchReport.FromJson).ToArray();
        if (included.FirstOrDefault(r => !r.Slos.SequenceEqual(slos)) is { } other)
        {
            throw new ArgumentException($"--include: a report measured at SLOs {string.Join("; ", other.Slos)}, this run at {string.Join("; ", slos)}; use the same --slo values.");
        }

        var report = await EndpointBench.RunAsync(options, Console.Out, ct);
        report = report with { Rows = [.. included.SelectMany(r => r.Rows), .. report.Rows] };
        var markdown = report.Markdown();
        Console.WriteLine();
        Console.WriteLine(report.Setup);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (shared.JsonOut is { } json) await File.WriteAllTextAsync(json, report.ToJson(), ct);
        if (parse.GetValue(MarkdownOut) is { } md) await File.WriteAllTextAsync(md, report.Setup + "\n\n" + markdown, ct);
        if (parse.GetValue(PlotOut) is { } plot) await File.WriteAllTextAsync(plot, report.Svg(), ct);
        return report.Rows.All(r => r.Ok == r.Requests) ? 0 : 1;
    }

    private static double[]? ParseRates(string? text) => text is null
        ? null
        : [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(r =>
            double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v)
                ? v
                : throw new ArgumentException($"--rates must be positive numbers, comma-separated (got '{r}')."))];
}
