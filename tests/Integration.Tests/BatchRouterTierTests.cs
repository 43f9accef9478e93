using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cluster.Cli.Up;
using Cluster.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Cluster.Integration.Tests;

/// <summary>
/// The Batch API on several routers sharing one Redis (one router tier): a batch runs on one router (the holder of
/// its lease), a cancel accepted by another router ends it, and when its router is killed another one takes it over
/// and finishes it, with nothing lost and nothing done twice.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BatchRouterTierTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Batch:MaxConcurrency"] = "1", // one request at a time: the batch is still running when the test acts
        ["Logging:LogLevel:Cluster.Router.Batch"] = "Debug", // every saved result is logged (the nothing-done-twice oracle)
    };

    [Fact]
    public async Task CreatedOnOneRouter_CancelledThroughAnother_EndsCancelled()
    {
        _ = fixture;
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 1, Settings) with { Routers = 2 });
        const int requests = 200; // ~10 a second here: still running when the cancel reaches its router (at its next lease renewal, 2 s)
        using var a = Client(cluster.Routers[0].Http);
        var id = await CreateAsync(a, Enumerable.Range(0, requests).Select(i => Line($"c{i}", Completion(i + 500, 48))));
        await Deadline.UntilAsync(async () => (await GetAsync(a, id))?.GetProperty("request_counts").GetProperty("completed").GetInt32() >= 1,
            TimeSpan.FromSeconds(60), "1 batch request completed");
        var runner = await RunnerAsync(cluster, id);
        var other = cluster.Routers.First(r => r.Name != runner);
        output.WriteLine($"{id} runs on {runner}; cancelled through {other.Name}");
        using var b = Client(other.Http);

        using var cancel = await b.PostAsync($"/v1/batches/{id}/cancel", null);
        var cancelling = JsonDocument.Parse(await cancel.Content.ReadAsStringAsync()).RootElement;
        Assert.True(cancel.IsSuccessStatusCode, cancelling.ToString());
        Assert.Equal("cancelling", cancelling.GetProperty("status").GetString());

        JsonElement? final = null;
        await Deadline.UntilAsync(async () => (final = await GetAsync(b, id))?.GetProperty("status").GetString() == "cancelled",
            TimeSpan.FromSeconds(30), $"the batch running on {runner} ended cancelled after the cancel through {other.Name}");
        var counts = final!.Value.GetProperty("request_counts");
        Assert.True(counts.GetProperty("completed").GetInt32() < requests, final.Value.ToString());
        Assert.Equal("cancelled", (await GetAsync(a, id))?.GetProperty("status").GetString());
        Assert.Matches($"Batch {id} cancelled", cluster.Process(runner).LogTail(100_000)); // the running router finalized it
    }

    /// <summary>
    /// The router running a batch is killed for good (SIGKILL, no restart): once its lease expires (6 s) another
    /// router's rescan (every 5 s) takes the batch over, resumes it from the results in Redis and finishes it; every
    /// request has exactly one output line and the new router ran exactly the requests without a stored result.
    /// </summary>
    [Fact]
    public async Task RouterRunningBatchKilled_AnotherRouterFinishesIt_NothingLostNothingDoneTwice()
    {
        _ = fixture;
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 1, Settings) with { Routers = 3 });
        const int requests = 24;
        using var a = Client(cluster.Routers[0].Http);
        var id = await CreateAsync(a, Enumerable.Range(0, requests).Select(i => Line($"k{i}", Completion(i + 300, 24))));
        await Deadline.UntilAsync(async () => (await GetAsync(a, id))?.GetProperty("request_counts").GetProperty("completed").GetInt32() >= 3,
            TimeSpan.FromSeconds(60), "3 batch requests completed");
        var runner = await RunnerAsync(cluster, id);
        await cluster.Process(runner).KillAsync(); // as a crash, not restarted
        var survivors = cluster.Routers.Where(r => r.Name != runner).ToList();
        using var client = Client(survivors[0].Http);

        JsonElement? final = null;
        await Deadline.UntilAsync(async () => (final = await GetAsync(client, id))?.GetProperty("status").GetString() == "completed",
            TimeSpan.FromSeconds(120), $"another router finished the batch after {runner} was killed");

        Assert.Equal(requests, final!.Value.GetProperty("request_counts").GetProperty("completed").GetInt32());
        var lines = (await client.GetStringAsync($"/v1/files/{final.Value.GetProperty("output_file_id").GetString()}/content"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, requests).Select(i => $"k{i}"), lines);

        // Exactly one survivor resumed it, and ran exactly the requests without a stored result, none twice.
        var resumed = survivors.Select(r => (r.Name, Match: ResumedLine(id).Match(cluster.Process(r.Name).LogTail(100_000)))).Where(x => x.Match.Success).ToList();
        var taker = Assert.Single(resumed);
        output.WriteLine($"{id} ran on {runner} (killed), then on {taker.Name}: {taker.Match.Value}");
        var done = int.Parse(taker.Match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(done, 3, requests - 1);
        List<string> rerun = [];
        await Deadline.UntilAsync(() =>
        {
            var log = cluster.Process(taker.Name).LogTail(100_000);
            rerun = SavedLine(id).Matches(log[log.IndexOf(taker.Match.Value, StringComparison.Ordinal)..]).Select(m => m.Groups[1].Value).ToList();
            return Task.FromResult(rerun.Count >= requests - done);
        }, TimeSpan.FromSeconds(10), $"{taker.Name} logged {requests - done} saved results");
        Assert.Equal(requests - done, rerun.Count);
        Assert.Equal(rerun.Count, rerun.Distinct().Count());
    }

    private static string Line(string customId, string body) =>
        $$"""{"custom_id":"{{customId}}","method":"POST","url":"/v1/completions","body":{{body}}}""";

    private static string Completion(int seed, int maxTokens) =>
        $$"""{"model":"{{TestModel.Id}}","prompt":[{{string.Join(',', Prompts.Make(seed, 40))}}],"max_tokens":{{maxTokens}},"temperature":0,"ignore_eos":true}""";

    private static HttpClient Client(Uri router) => new()
    {
        BaseAddress = router,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", ClusterFixture.ApiKey) },
    };

    private static async Task<string> CreateAsync(HttpClient http, IEnumerable<string> lines)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(string.Join('\n', lines))), "file", "in.jsonl" },
        };
        using var uploaded = await http.PostAsync("/v1/files", form);
        var fileId = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var created = await http.PostAsync("/v1/batches", new StringContent(
            $$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/completions","completion_window":"24h"}""", Encoding.UTF8, "application/json"));
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        Assert.True(created.IsSuccessStatusCode, body.ToString());
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>The router running the batch: the one that logged its plan (only the lease holder plans it).</summary>
    private static async Task<string> RunnerAsync(ProcessCluster cluster, string id)
    {
        List<string> planned = [];
        await Deadline.UntilAsync(() =>
        {
            planned = cluster.Routers.Where(r => cluster.Process(r.Name).LogTail(100_000).Contains($"Batch {id}: ", StringComparison.Ordinal)
                && PlanLine(id).IsMatch(cluster.Process(r.Name).LogTail(100_000))).Select(r => r.Name).ToList();
            return Task.FromResult(planned.Count > 0);
        }, TimeSpan.FromSeconds(10), $"a router logged the plan of {id}");
        return Assert.Single(planned);
    }

    private static async Task<JsonElement?> GetAsync(HttpClient http, string id)
    {
        try
        {
            using var response = await http.GetAsync($"/v1/batches/{id}");
            return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static Regex PlanLine(string id) => new($@"Batch {id}: \d+ requests to run in \d+ groups");

    private static Regex ResumedLine(string id) => new($@"Batch {id}: resuming, (\d+) of \d+ requests already done");

    private static Regex SavedLine(string id) => new($@"Batch request batch_req_{id["batch_".Length..]}_(\d+) completed, result saved");
}
