using System.Globalization;
using System.Net.Http.Headers;
using Cluster.Cli.Top;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;

namespace Cluster.Integration.Tests;

/// <summary>
/// <c>cluster top</c> against the running cluster of the collection (router + 2 prefill + 2 decode processes, a cluster
/// token): one <c>--once</c> frame of the built command, captured while a long request decodes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TopTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Once_WhileALongRequestDecodes_ShowsEveryWorkerByRole_TheRunningSequence_RequestsAndLatency()
    {
        using var cts = new CancellationTokenSource(Bound);
        for (var i = 0; i < 3; i++)
        {
            await fixture.Calls.GenerateAsync(fixture.Calls.Greedy(Prompts.Make(9000 + i, 24), 4), cts.Token);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var longRequest = Record.ExceptionAsync(() => fixture.Calls.GenerateAsync(fixture.Calls.Greedy(Prompts.Make(9100, 20), 1900, ignoreEos: true), stop.Token));
        var decoders = fixture.Cluster.Workers.Where(w => w.Role == "decode").Select(w => w.Http).ToArray();
        await Deadline.UntilAsync(async () => (await RunningAsync(decoders, cts.Token)) >= 1, Bound, "a decode worker running the long request");

        var (exit, output) = await CliProcess.RunAsync(
            new Dictionary<string, string> { ["CLUSTER_TOKEN"] = ClusterFixture.ClusterToken },
            ["top", "--once", "--interval", "0.5", "--router", fixture.Cluster.RouterHttp.ToString(), .. fixture.Cluster.Workers.SelectMany(w => new[] { "--worker", w.Http.ToString() })]);
        var stillRunning = await RunningAsync(decoders, cts.Token);
        await stop.CancelAsync();
        var error = await longRequest;

        Assert.True(exit == 0, $"cluster top --once exited {exit}:\n{output}");
        // Ended by the cancellation, not finished (the client sees CANCELLED or, in a race inside grpc-dotnet, the aborted stream).
        Assert.True(error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled or StatusCode.Unavailable }, $"the long request should have been running until cancelled, got {error?.ToString() ?? "completion"}");
        Assert.Contains("cluster top  router " + fixture.Cluster.RouterHttp, output, StringComparison.Ordinal);
        var router = Row(output, fixture.Cluster.RouterHttp.Authority);
        Assert.True(int.Parse(router[3], CultureInfo.InvariantCulture) >= 3, $"OK requests in the router row: {string.Join(" | ", router)}\n{output}");
        Assert.Matches(@"^\d+(\.\d+)? (ms|s)$", router[7]); // TTFT p50
        Assert.Matches(@"^\d+(\.\d+)? (ms|s)$", router[8]); // TTFT p99
        Assert.Contains("Workers the router sees: decode live 2, prefill live 2", output, StringComparison.Ordinal);
        var running = 0;
        foreach (var worker in fixture.Cluster.Workers)
        {
            var row = Row(output, worker.Http.Authority);
            Assert.Equal(worker.Role, row[1]);
            Assert.EndsWith(" %", row[4], StringComparison.Ordinal);
            running += worker.Role == "decode" ? int.Parse(row[2], CultureInfo.InvariantCulture) : 0;
        }

        // The frame's scrapes came between two checks that both saw the long request running on a decode worker.
        Assert.True(stillRunning >= 1, "the long request ended before the frame was taken: make it longer");
        Assert.True(running >= 1, $"decode workers running in the frame: {running}\n{output}");
    }

    [Fact]
    public async Task Once_WithoutWorkerAddresses_FindsEveryWorkerThroughTheRoutersWorkersList()
    {
        // No --worker: top reads the router's /workers (the registry as the router sees it) and scrapes each worker listed.
        var (exit, output) = await CliProcess.RunAsync(
            new Dictionary<string, string> { ["CLUSTER_TOKEN"] = ClusterFixture.ClusterToken },
            ["top", "--once", "--interval", "0.2", "--router", fixture.Cluster.RouterHttp.ToString()]);

        Assert.True(exit == 0, $"cluster top --once exited {exit}:\n{output}");
        Assert.NotEmpty(fixture.Cluster.Workers);
        foreach (var worker in fixture.Cluster.Workers)
        {
            var row = Row(output, worker.Http.Authority);
            Assert.Equal(worker.Role, row[1]);
            Assert.EndsWith(" %", row[4], StringComparison.Ordinal);
        }

        var rows = output.Split('\n').Count(l => fixture.Cluster.Workers.Any(w => l.StartsWith("| " + w.Http.Authority + " ", StringComparison.Ordinal)));
        Assert.Equal(fixture.Cluster.Workers.Count, rows);
    }

    [Fact]
    public async Task Once_WithoutTheClusterToken_ExitsOne_NamingTheVariable()
    {
        var (exit, output) = await CliProcess.RunAsync(["top", "--once", "--interval", "0.2", "--router", fixture.Cluster.RouterHttp.ToString()]);

        Assert.Equal(1, exit);
        Assert.Contains("/metrics answered 401", output, StringComparison.Ordinal);
        Assert.Contains("/workers answered 401", output, StringComparison.Ordinal); // the worker list is the cluster's too
        Assert.Contains("CLUSTER_TOKEN", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantile_AsPrometheusHistogramQuantile()
    {
        var page = MetricsPage.Parse("""
            # TYPE t histogram
            t_bucket{op="a",le="0.1"} 2
            t_bucket{op="a",le="0.2"} 6
            t_bucket{op="a",le="+Inf"} 8
            t_bucket{op="b",le="0.1"} 0
            t_bucket{op="b",le="0.2"} 2
            t_bucket{op="b",le="+Inf"} 2
            x{msg="a \"quoted\", comma"} 3 1700000000000
            """);

        var buckets = page.Buckets("t"); // sum by (le): 0.1 → 2, 0.2 → 8, +Inf → 10
        Assert.Equal(0.15, Histograms.Quantile(0.5, buckets)!.Value, 9); // rank 5: 3/6 of the way through (0.1, 0.2]
        Assert.Equal(0.2, Histograms.Quantile(0.99, buckets)); // in +Inf: the highest finite bound
        Assert.Null(Histograms.Quantile(0.5, Histograms.Delta(buckets, buckets)));
        Assert.Equal(3, page.Sum("x", l => l["msg"] == "a \"quoted\", comma"));
    }

    // Sequences running on the given workers, from their /metrics.
    private static async Task<double> RunningAsync(IEnumerable<Uri> workers, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClusterFixture.ClusterToken);
        var running = 0.0;
        foreach (var worker in workers)
        {
            var page = MetricsPage.Parse(await http.GetStringAsync(new Uri(worker, "/metrics"), cancellationToken));
            running += page.Sum("cluster_engine_sequences", l => l.GetValueOrDefault("state") == "running");
        }

        return running;
    }

    // The cells of the table row whose first cell is host:port (ASCII borders: | a | b |).
    private static string[] Row(string frame, string authority)
    {
        var line = frame.Split('\n').SingleOrDefault(l => l.StartsWith("| " + authority + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no row for {authority} in the frame:\n{frame}");
        return [.. line.Trim().Trim('|').Split('|').Select(c => c.Trim())];
    }
}
