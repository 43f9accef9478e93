using System.Text.Json.Nodes;
using System.Xml.Linq;
using Cluster.Cli.Bench;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>
/// <c>cluster bench serve --endpoint</c>: short sweeps against the running cluster's OpenAI endpoint (real processes,
/// API key), and the pieces that turn outcomes into goodput, attainment and the plot.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EndpointBenchTests(ClusterFixture fixture)
{
    private static readonly EndpointBenchSlo Impossible = new(0.001, 0.001);
    private static readonly EndpointBenchSlo Loose = new(600_000, 600_000);

    /// <summary>Six 12-word prompts in two groups sharing 8 words, 4 output tokens each.</summary>
    private static readonly EndpointBenchTraceLine[] Trace =
        [.. Enumerable.Range(0, 6).Select(i => new EndpointBenchTraceLine(0, PromptTokens: 12, OutputTokens: 4, Group: i % 2, PrefixTokens: 8))];

    [Fact]
    public async Task Sweep_TwoRates_EveryRequestMeasured_GoodputAndAttainmentFollowTheSlos_ReportAndPlotWritten()
    {
        using var cts = Deadline.ForTest();
        var options = Options([2, 8]) with { ApiKey = ClusterFixture.ApiKey };
        using var log = new StringWriter();

        var report = await EndpointBench.RunAsync(options, log, cts.Token);

        Assert.Equal([2.0, 8.0], report.Rows.Select(r => r.Rate).ToArray());
        foreach (var row in report.Rows)
        {
            Assert.True(row.Ok == 6 && row.Http4xx == 0 && row.Http5xx == 0 && row.OtherFailed == 0, log.ToString());
            Assert.Equal(6 * 4, row.OutputTokens);                                   // ignore_eos: every request its 4 tokens
            Assert.True(row.MeanPromptTokens >= 12, log.ToString());                // from the usage chunk (the tiny tokenizer is byte-level)
            Assert.True(row.Ttft.P50 > 0 && row.Ttft.P50 <= row.Ttft.P90 && row.Ttft.P90 <= row.Ttft.P99, log.ToString());
            Assert.True(row.Itl.P50 > 0 && row.Tpot.P50 > 0 && row.EndToEnd.P50 >= row.Ttft.P50, log.ToString());
            Assert.Equal((0.0, 0.0), (row.Goodput[0].RequestsPerSecond, row.Goodput[0].AttainmentPercent));
            Assert.Equal(100.0, row.Goodput[1].AttainmentPercent);
            Assert.Equal(row.RequestsPerSecond, row.Goodput[1].RequestsPerSecond, 6);
        }

        Assert.StartsWith("already below 90 % at 2/s", EndpointBenchRow.FallsBelow(report.Rows, Impossible).Text, StringComparison.Ordinal);
        Assert.Null(EndpointBenchRow.FallsBelow(report.Rows, Loose).Rate);
        var markdown = report.Markdown();
        Assert.Contains("| cluster | 2 | 6 / 6 | 0 | 0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| cluster | 8 | 6 / 6 | 0 | 0 |", markdown, StringComparison.Ordinal);

        var svg = XDocument.Parse(report.Svg());
        Assert.Equal(1 + 1 + 2 + 2, svg.Descendants().Count(e => e.Name.LocalName == "polyline" && (string?)e.Attribute("data-system") == "cluster"));
        var path = Path.Combine(Directory.CreateTempSubdirectory("endpoint-bench-").FullName, "run.json");
        await File.WriteAllTextAsync(path, report.ToJson(), cts.Token);
        var back = EndpointBenchReport.FromJson(path);
        Assert.Equal(report.Rows.Select(r => (r.System, r.Rate, r.Ok, r.Ttft.P99)), back.Rows.Select(r => (r.System, r.Rate, r.Ok, r.Ttft.P99)));
    }

    [Fact]
    public async Task WithoutTheApiKey_EveryRequestIsCountedAs4xx_NotAsASuccess()
    {
        using var cts = Deadline.ForTest();
        using var log = new StringWriter();

        var report = await EndpointBench.RunAsync(Options([8]) with { ApiKey = "not-the-key", Warmup = 0 }, log, cts.Token);

        var row = Assert.Single(report.Rows);
        Assert.Equal((0, 6), (row.Ok, row.Http4xx));
        Assert.Contains("HTTP 401", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_EndpointWithAnEngineOption_IsRefusedByName()
    {
        var (exit, output) = await CliProcess.RunAsync("bench", "serve", "--endpoint", fixture.Cluster.RouterHttp.ToString(), "--model", TestModel.Path);

        Assert.Equal(2, exit);
        Assert.Contains("--model", output, StringComparison.Ordinal);
        Assert.Contains("not of --endpoint", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_WriteTrace_WritesAReadableDeterministicTrace()
    {
        var dir = Directory.CreateTempSubdirectory("endpoint-bench-trace-").FullName;
        string[] args = ["bench", "serve", "--trace-kind", "shared-prefix", "--shared-prefix", "100", "--prefixes", "3", "--requests", "40", "--rate", "5"];
        var (exit1, output1) = await CliProcess.RunAsync([.. args, "--write-trace", Path.Combine(dir, "a.jsonl")]);
        var (exit2, _) = await CliProcess.RunAsync([.. args, "--write-trace", Path.Combine(dir, "b.jsonl")]);

        Assert.True(exit1 == 0 && exit2 == 0, output1);
        var trace = EndpointBenchTrace.Read(Path.Combine(dir, "a.jsonl"));
        Assert.Equal(40, trace.Count);
        Assert.All(trace, l => Assert.True(l is { PrefixTokens: 100, Group: >= 0 and < 3 } && l.PromptTokens > 100 && l.OutputTokens >= 4));
        Assert.True(trace.Zip(trace.Skip(1)).All(p => p.First.ArrivalSeconds < p.Second.ArrivalSeconds));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(dir, "a.jsonl")), await File.ReadAllTextAsync(Path.Combine(dir, "b.jsonl")));
    }

    [Fact]
    public async Task Cli_TraceAsEngineWorkload_KeepsLengthsAndGroupPrefixes_RequestsCapsTheTrace()
    {
        var dir = Directory.CreateTempSubdirectory("endpoint-bench-workload-").FullName;
        var trace = Path.Combine(dir, "t.jsonl");
        var (exit, output) = await CliProcess.RunAsync(["bench", "serve", "--trace-kind", "shared-prefix", "--shared-prefix", "32", "--prefixes", "2", "--requests", "12", "--write-trace", trace]);
        Assert.True(exit == 0, output);
        var workload = Path.Combine(dir, "w.json");
        (exit, output) = await CliProcess.RunAsync(["bench", "serve", "--write-workload", "--workload", workload, "--trace", trace, "--requests", "10", "--rate", "50", "--vocab", "500"]);
        Assert.True(exit == 0, output);

        var lines = EndpointBenchTrace.Read(trace);
        using var json = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(workload));
        var requests = json.RootElement.GetProperty("requests").EnumerateArray().ToArray();
        Assert.Equal(10, requests.Length);
        Assert.Equal(EndpointBench.Arrivals([.. lines.Take(10)], 50, seed: 1), requests.Select(r => r.GetProperty("arrival").GetDouble())); // as --endpoint sends them
        for (var i = 0; i < requests.Length; i++)
        {
            var prompt = requests[i].GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(lines[i].PromptTokens, prompt.Length);
            Assert.Equal(lines[i].OutputTokens, requests[i].GetProperty("max_tokens").GetInt32());
            Assert.All(prompt, t => Assert.InRange(t, 0, 499));
            var sameGroup = Enumerable.Range(0, i).FirstOrDefault(j => lines[j].Group == lines[i].Group, -1);
            if (sameGroup >= 0)
            {
                var other = requests[sameGroup].GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32()).Take(32);
                Assert.Equal(other, prompt.Take(32));
            }
        }

        (exit, output) = await CliProcess.RunAsync(["bench", "serve", "--workload", workload, "--trace", trace]);
        Assert.Equal(2, exit);
        Assert.Contains("--write-workload", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TraceRead_ABadLine_NamesTheFileLineAndField()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("endpoint-bench-bad-").FullName, "bad.jsonl");
        File.WriteAllLines(path, ["{\"arrival_s\":0,\"prompt_tokens\":8,\"output_tokens\":4}", "", "{\"arrival_s\":1,\"prompt_tokens\":8,\"output_tokens\":0}"]);

        var e = Assert.Throws<ArgumentException>(() => EndpointBenchTrace.Read(path));

        Assert.Contains("bad.jsonl:3: output_tokens must be >= 1", e.Message, StringComparison.Ordinal);
        File.WriteAllLines(path, ["{\"arrival_s\":0,\"prompt_tokens\":8,\"output_tokens\":4,\"prefix_tokens\":4}"]);
        Assert.Contains(":1: prefix_tokens needs a group", Assert.Throws<ArgumentException>(() => EndpointBenchTrace.Read(path)).Message, StringComparison.Ordinal);
        File.WriteAllLines(path, ["not json"]);
        Assert.Contains(":1: not a trace line", Assert.Throws<ArgumentException>(() => EndpointBenchTrace.Read(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prompts_AGroupSharesItsPrefix_ARoundChangesEveryPrompt_TokensNeedARange()
    {
        var prompts = new EndpointBenchPrompts(EndpointBenchPrompts.Tokens, "100:200", seed: 3);

        int[] Ids(int index, int round) => [.. prompts.For(Trace[index], index, round).AsArray().Select(n => n!.GetValue<int>())];

        Assert.Equal(12, Ids(0, 0).Length);
        Assert.All(Ids(0, 0), id => Assert.InRange(id, 100, 199));
        Assert.Equal(Ids(0, 0)[..8], Ids(2, 0)[..8]);                             // same group, same round: same 8-token prefix
        Assert.NotEqual(Ids(0, 0)[8..], Ids(2, 0)[8..]);
        Assert.NotEqual(Ids(0, 0)[..8], Ids(1, 0)[..8]);                          // another group
        Assert.NotEqual(Ids(0, 0)[..8], Ids(0, 1)[..8]);                          // another round (rate)
        Assert.Equal(Ids(0, 0), Ids(0, 0));
        var text = new EndpointBenchPrompts(EndpointBenchPrompts.Text, null, seed: 3).For(Trace[0], 0, 0).GetValue<string>();
        Assert.Equal(12, text.Split(' ').Length);
        Assert.Contains("--token-ids", Assert.Throws<ArgumentException>(() => new EndpointBenchPrompts(EndpointBenchPrompts.Tokens, null, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("--prompt-format", Assert.Throws<ArgumentException>(() => new EndpointBenchPrompts("ids", null, 1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FallsBelow_InterpolatesBetweenTheRatesAroundTheDrop()
    {
        var slo = new EndpointBenchSlo(100, 10);
        EndpointBenchRow Row(double rate, double attainment) => new("s", rate, 10, 10, 0, 0, 0, 1, 10, 40, 10, 40,
            EndpointBenchPercentiles.Of([1.0]), EndpointBenchPercentiles.Of([1.0]), EndpointBenchPercentiles.Of([1.0]), EndpointBenchPercentiles.Of([1.0]),
            [new EndpointBenchGoodput(slo, 1, attainment)]);

        var (rate, text) = EndpointBenchRow.FallsBelow([Row(8, 50), Row(2, 100), Row(4, 95)], slo);

        Assert.Equal(4 + (8 - 4) * (95 - 90) / (95.0 - 50), rate!.Value, 9);
        Assert.Contains("interpolated between 4 and 8/s", text, StringComparison.Ordinal);
        Assert.Equal(
            ["--endpoint must be [LABEL=]http(s)://host:port (got 'ftp://x')."],
            [Assert.Throws<ArgumentException>(() => EndpointBench.Target.Parse("ftp://x")).Message]);
        Assert.Equal(("vllm", "http://h:8000/v1"), (EndpointBench.Target.Parse("vllm=http://h:8000/v1").Label, EndpointBench.Target.Parse("vllm=http://h:8000/v1").Url.ToString()));
        Assert.Contains("TTFT_MS:TPOT_MS", Assert.Throws<ArgumentException>(() => EndpointBenchSlo.Parse("250")).Message, StringComparison.Ordinal);
    }

    private EndpointBench.Options Options(double[] rates) => new(
        [new EndpointBench.Target("cluster", fixture.Cluster.RouterHttp)], TestModel.Id, Trace, "test", rates, [Impossible, Loose],
        new EndpointBenchPrompts(EndpointBenchPrompts.Text, null, seed: 5), IgnoreEos: true, Warmup: 1, Seed: 5, Timeout: TimeSpan.FromSeconds(60));
}
