using System.Diagnostics;
using System.Net.Http.Headers;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;

namespace Cluster.Integration.Tests;

/// <summary>
/// The Grafana dashboards (deploy/grafana) against the running cluster of the collection (router + 2 prefill + 2 decode
/// processes, Redis, a cluster token): every metric a panel names is emitted, every /metrics page passes
/// <c>promtool check metrics</c>, promtool parses every panel expression, and a real Prometheus scraping the cluster
/// while a scripted load runs (shared prefixes, a cancellation, SLO misses, forced KV-transfer failures) answers every
/// panel with non-empty, finite data; the panels of the forced events answer non-zero rates without their
/// <c>or vector(0)</c> fallback.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DashboardTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    /// <summary>The fallback of panels whose events a healthy cluster never has (then the panel reads 0, not "No data").</summary>
    private const string Fallback = " or vector(0)";

    /// <summary>Counters the load forces (a corrupted KV push, <see cref="ClusterFixture.FaultyTransferSalt"/>): their panels must show a rate above 0.</summary>
    private static readonly string[] ForcedEvents =
    [
        "cluster_kv_transfer_failures_total", "cluster_kv_transfer_resumes_total", "cluster_kv_transfer_frames_rejected_total", "cluster_router_recoveries_total",
    ];

    /// <summary>Events the load causes once (the cancellation): their panels must have data, a rate of 0 will do.</summary>
    private static readonly string[] CausedEvents = ["outcome!=\"ok\""];

    /// <summary>Metrics whose panels may keep <see cref="Fallback"/> in the test: events the load does not cause.</summary>
    private static readonly string[] UnforcedEvents =
    [
        "cluster_router_admission_rejections_total", "cluster_router_workers_suspected_total", "phase=\"admission_wait\"",
        "cluster_kv_transfer_cuda_ipc_fallbacks_total", // CPU workers never propose CUDA IPC
    ];

    [Fact]
    public async Task Dashboards_AgainstRealPrometheusScrapingTheClusterUnderLoad_EveryPanelHasFiniteData()
    {
        using var cts = new CancellationTokenSource(Bound);
        var queries = Dashboards.Queries();
        Assert.True(queries.Count >= 40, $"expected the dashboards' panels, found {queries.Count} queries");
        var jobs = new Dictionary<string, Uri[]>
        {
            ["router"] = [fixture.Cluster.RouterHttp],
            ["prefill"] = [.. fixture.Cluster.Workers.Where(w => w.Role == "prefill").Select(w => w.Http)],
            ["decode"] = [.. fixture.Cluster.Workers.Where(w => w.Role == "decode").Select(w => w.Http)],
        };
        var targets = jobs.Values.Sum(t => t.Length);
        await using var prometheus = PrometheusServer.Start(jobs, ClusterFixture.ClusterToken);
        await Deadline.UntilAsync(() => prometheus.AllUpAsync(targets, cts.Token), Bound, $"Prometheus scraping all {targets} targets");

        var finished = await RunLoadAsync(prometheus, cts.Token);
        var loadDone = Now();

        // Prometheus has the load once a scrape shows the router's count after it (and one more scrape for rates).
        await Deadline.UntilAsync(async () => (await prometheus.QueryAsync("sum(cluster_router_requests_total)", cts.Token)).SingleOrDefault().Value >= finished,
            Bound, $"Prometheus seeing {finished} finished requests");
        var pages = await ScrapeAllAsync(jobs.Values.SelectMany(t => t), cts.Token);
        await Deadline.UntilAsync(async () => (await prometheus.QueryAsync("min(timestamp(up))", cts.Token)).Single().Value > loadDone + 1, Bound, "two more scrapes of every target");

        var empty = new List<string>();
        foreach (var (file, panel, expression) in queries)
        {
            // Only events the load does not cause may rely on the fallback; every other panel must have data of its own.
            var query = UnforcedEvents.Any(m => expression.Contains(m, StringComparison.Ordinal)) ? expression : WithoutFallback(expression);
            var result = await prometheus.QueryAsync(Dashboards.Substitute(query), cts.Token);
            var forced = ForcedEvents.Any(m => expression.Contains(m, StringComparison.Ordinal));
            if (result.Count == 0 || result.Any(r => !double.IsFinite(r.Value)) || forced && !result.Any(r => r.Value > 0))
            {
                empty.Add($"{file} '{panel}': {query} -> {(result.Count == 0 ? "no data" : string.Join(", ", result.Select(r => $"{r.Labels}={r.Value}")))}{(forced ? " (a forced event: needs a rate > 0)" : "")}");
            }
        }

        if (empty.Count > 0)
        {
            var steps = await prometheus.QueryAsync("cluster_engine_step_duration_seconds_count", cts.Token);
            empty.Add("step counts: " + string.Join(", ", steps.Select(r => $"{r.Labels}={r.Value}")));
        }

        Assert.True(empty.Count == 0, "panels without finite data:\n" + string.Join("\n", empty));
        AssertEveryMetricEmitted(queries, pages);
    }

    [Fact]
    public void Dashboards_EveryFallback_IsOnAForcedOrUnforcedEventPanel()
    {
        var queries = Dashboards.Queries();
        var fallbacks = queries.Where(q => q.Expression.EndsWith(Fallback, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(fallbacks);
        foreach (var (file, panel, expression) in fallbacks)
        {
            Assert.True(ForcedEvents.Concat(CausedEvents).Concat(UnforcedEvents).Any(m => expression.Contains(m, StringComparison.Ordinal)),
                $"{file} '{panel}' ends in '{Fallback}' but names no event counter: {expression}");
        }

        foreach (var metric in ForcedEvents)
        {
            Assert.Contains(queries, q => q.Expression.Contains(metric, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Dashboards_EveryMetricNamed_IsOnAMetricsPageOrDeclaredByAnInstrument()
    {
        using var cts = new CancellationTokenSource(Bound);
        var prefix = Prompts.Make(7100, 48);
        for (var i = 0; i < 2; i++)
        {
            await fixture.Calls.GenerateAsync(fixture.Calls.Greedy(Prompts.WithPrefix(prefix, 7101 + i, 16), 3), cts.Token);
        }

        var pages = await ScrapeAllAsync(new[] { fixture.Cluster.RouterHttp }.Concat(fixture.Cluster.Workers.Select(w => w.Http)), cts.Token);

        AssertEveryMetricEmitted(Dashboards.Queries(), pages);
    }

    [Fact]
    public async Task MetricsPages_EveryHost_PassPromtoolCheckMetrics()
    {
        using var cts = new CancellationTokenSource(Bound);
        await fixture.Calls.GenerateAsync(fixture.Calls.Greedy(Prompts.Make(7000, 40), 3), cts.Token);
        var hosts = new[] { fixture.Cluster.RouterHttp }.Concat(fixture.Cluster.Workers.Select(w => w.Http)).ToArray();

        var pages = await ScrapeAllAsync(hosts, cts.Token);

        Assert.Equal(hosts.Length, pages.Count);
        foreach (var (host, page) in pages)
        {
            var (exit, output) = await RunAsync(PrometheusServer.Tool("promtool"), ["check", "metrics"], page, cts.Token);
            Assert.True(exit == 0 && output.Trim().Length == 0, $"promtool check metrics on {host}/metrics (exit {exit}):\n{output}");
        }
    }

    [Fact]
    public async Task Dashboards_EveryExpression_ParsesWithPromtool()
    {
        using var cts = new CancellationTokenSource(Bound);
        var queries = Dashboards.Queries();
        var rules = Path.Combine(Directory.CreateTempSubdirectory("cluster-dashboard-rules-").FullName, "panels.yml");
        await File.WriteAllLinesAsync(rules, ["groups:", "  - name: panels", "    rules:", .. queries.SelectMany((q, i) => new[]
        {
            $"      - record: panel:{i}",
            $"        expr: '{Dashboards.Substitute(q.Expression).Replace("'", "''", StringComparison.Ordinal)}'",
        })], cts.Token);

        var (exit, output) = await RunAsync(PrometheusServer.Tool("promtool"), ["check", "rules", rules], "", cts.Token);

        Assert.True(exit == 0, $"promtool check rules (exit {exit}):\n{output}");
        Assert.Contains($"SUCCESS: {queries.Count} rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashboards_Quantiles_SumByLe_AndRatios_RateOverRate()
    {
        foreach (var (file, panel, expression) in Dashboards.Queries())
        {
            if (expression.Contains("histogram_quantile", StringComparison.Ordinal))
            {
                Assert.Contains("sum by (le) (rate(", expression, StringComparison.Ordinal);
            }

            if (expression.Contains(" / ", StringComparison.Ordinal))
            {
                var sides = expression.Split(" / ");
                Assert.True(sides.All(s => s.Contains("rate(", StringComparison.Ordinal)), $"{file} '{panel}': a ratio of lifetime totals: {expression}");
            }
        }
    }

    private static void AssertEveryMetricEmitted(IReadOnlyList<(string File, string Panel, string Expression)> queries, IReadOnlyDictionary<Uri, string> pages)
    {
        var emitted = pages.Values
            .SelectMany(p => p.Split('\n'))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split('{', ' ')[0])
            .ToHashSet(StringComparer.Ordinal);
        var declared = Dashboards.DeclaredCounters();
        var unknown = queries
            .SelectMany(q => Dashboards.MetricNames(q.Expression).Select(n => (q.File, q.Panel, Name: n)))
            .Where(m => !emitted.Contains(m.Name) && !declared.Contains(m.Name))
            .Select(m => $"{m.File} '{m.Panel}': {m.Name}")
            .Distinct()
            .ToList();
        Assert.True(unknown.Count == 0, "dashboard metrics no instrument emits:\n" + string.Join("\n", unknown));
    }

    // Shared prefixes (cache-aware routing, prefix hits), one-token requests (meet the SLO), longer ones (miss the
    // collection's 1 µs TPOT bound), one client cancellation mid-stream, forced KV-transfer failures. Returns the
    // router's finished-request count after.
    private async Task<double> RunLoadAsync(PrometheusServer prometheus, CancellationToken cancellationToken)
    {
        var prefix = Prompts.Make(8000, 64);
        await fixture.Calls.GenerateAsync(fixture.Calls.Greedy(Prompts.WithPrefix(prefix, 8001, 20), 4), cancellationToken);
        var hashes = new BlockHasher(new ModelId(TestModel.Id), 16).HashBlocks(prefix);
        await Deadline.UntilAsync(async () => (await fixture.Cluster.Index.FindOverlapAsync(new ModelId(TestModel.Id), hashes)).Blocks.Count >= 2, // the prefill and the decode worker that served it
            Bound, "the prefix index knowing the shared prefix");
        await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            fixture.Calls.GenerateAsync(fixture.Calls.Greedy(Prompts.WithPrefix(prefix, 8002 + i, 20), 4), cancellationToken)));
        await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            fixture.Calls.GenerateAsync(fixture.Calls.Greedy(Prompts.Make(8100 + i, 24), 1), cancellationToken)));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var error = await Record.ExceptionAsync(() => fixture.Calls.GenerateAsync(
            fixture.Calls.Greedy(Prompts.Make(8200, 30), 400, ignoreEos: true), cancel.Token,
            async n => { if (n == 2) { await cancel.CancelAsync(); } }));
        Assert.True(error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, $"expected a cancellation, got {error}");
        // The cancelled request is counted when the router notices; wait for it so the query below sees it too.
        await Deadline.UntilAsync(async () => Count(await ScrapeRouterAsync(cancellationToken), "outcome=\"cancelled\"") >= 1, Bound, "the router counting the cancelled request");
        await ForceTransferFailuresAsync(prometheus, cancellationToken);
        return Count(await ScrapeRouterAsync(cancellationToken), "");

        async Task<string> ScrapeRouterAsync(CancellationToken token) => (await ScrapeAllAsync([fixture.Cluster.RouterHttp], token)).Single().Value;
        static double Count(string page, string filter) => page.Split('\n')
            .Where(l => l.StartsWith("cluster_router_requests_total{", StringComparison.Ordinal) && l.Contains(filter, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    // Requests whose KV push the prefill workers corrupt (ClusterFixture.FaultyTransferSalt): the decode worker rejects
    // every chunk, the sender resumes and gives up, the router recomputes on decode and the client still gets the golden
    // tokens. A counter's series appears with its first event, so a rate needs a later increase on the same series
    // (the same prefill or decode worker): one request at a time, each once Prometheus has scraped the one before, until
    // every forced panel shows a rate above 0. The /metrics pages must count every event.
    private async Task ForceTransferFailuresAsync(PrometheusServer prometheus, CancellationToken cancellationToken)
    {
        var before = await ScrapeAllAsync(fixture.Cluster.Workers.Select(w => w.Http).Append(fixture.Cluster.RouterHttp), cancellationToken);
        var panels = Dashboards.Queries().Where(q => ForcedEvents.Any(m => q.Expression.Contains(m, StringComparison.Ordinal))).ToList();
        var forced = 0;
        for (; forced < 8; forced++)
        {
            var prompt = Prompts.Make(8300 + forced, 40);
            var request = fixture.Calls.Greedy(prompt, 3);
            request.CacheSalt = ClusterFixture.FaultyTransferSalt;
            var generated = await fixture.Calls.GenerateAsync(request, cancellationToken);
            Assert.Equal(fixture.Golden.Greedy(prompt, 3), generated.Tokens);
            var recovered = Recoveries(await ScrapeAllAsync([fixture.Cluster.RouterHttp], cancellationToken));
            Assert.True(recovered >= Recoveries(before) + forced + 1,
                $"the router counted {recovered - Recoveries(before)} transfer_recompute recoveries after {forced + 1} requests with the faulty cache salt: " +
                "are the prefill workers running with KvTransfer:TestFaults (ClusterFixture)?");
            await Deadline.UntilAsync(async () => (await prometheus.QueryAsync("sum(cluster_router_recoveries_total{kind=\"transfer_recompute\"})", cancellationToken))
                .SingleOrDefault().Value >= recovered, TimeSpan.FromSeconds(30), $"Prometheus seeing forced transfer failure {forced + 1}");
            var rates = await Task.WhenAll(panels.Select(p => prometheus.QueryAsync(Dashboards.Substitute(WithoutFallback(p.Expression)), cancellationToken)));
            if (forced >= 1 && rates.All(r => r.Any(v => v.Value > 0)))
            {
                forced++;
                break;
            }
        }

        var after = await ScrapeAllAsync(fixture.Cluster.Workers.Select(w => w.Http).Append(fixture.Cluster.RouterHttp), cancellationToken);
        const int resumes = ConfiguredResumes;
        foreach (var (metric, filter, least) in new[]
        {
            ("cluster_kv_transfer_failures_total", "reason=\"dataloss\"", forced),
            ("cluster_kv_transfer_resumes_total", "", forced * resumes),
            ("cluster_kv_transfer_frames_rejected_total", "reason=\"checksum\"", forced * (resumes + 1)),
            ("cluster_router_recoveries_total", "kind=\"transfer_recompute\"", forced),
        })
        {
            var delta = Sum(after, metric, filter) - Sum(before, metric, filter);
            Assert.True(delta >= least, $"{metric}{{{filter}}} rose by {delta} on /metrics after {forced} forced transfer failures; expected at least {least}");
        }

        static double Recoveries(IReadOnlyDictionary<Uri, string> pages) => Sum(pages, "cluster_router_recoveries_total", "kind=\"transfer_recompute\"");

        static double Sum(IReadOnlyDictionary<Uri, string> pages, string metric, string filter) => pages.Values.SelectMany(p => p.Split('\n'))
            .Where(l => l.StartsWith(metric, StringComparison.Ordinal) && l.Length > metric.Length && l[metric.Length] is '{' or ' ' && l.Contains(filter, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>KvTransfer:MaxResumeAttempts of the collection's workers (the default): resumes per failed push.</summary>
    private const int ConfiguredResumes = 3;

    private static string WithoutFallback(string expression) =>
        expression.EndsWith(Fallback, StringComparison.Ordinal) ? expression[..^Fallback.Length] : expression;

    private static async Task<IReadOnlyDictionary<Uri, string>> ScrapeAllAsync(IEnumerable<Uri> hosts, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClusterFixture.ClusterToken);
        var pages = new Dictionary<Uri, string>();
        foreach (var host in hosts)
        {
            pages[host] = await http.GetStringAsync(new Uri(host, "/metrics"), cancellationToken);
        }

        return pages;
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static async Task<(int Exit, string Output)> RunAsync(string tool, string[] arguments, string stdin, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output + await errors);
    }
}
