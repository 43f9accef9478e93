using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cluster.Cli.Up;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>
/// The Batch API on a real cluster (router, workers, Redis as the store): the <c>openai</c> npm client's flow with
/// greedy outputs equal to the same requests sent online, cancel, and a router killed mid-batch.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class BatchApiTests(ClusterFixture fixture)
{
    private static string Line(string customId, string url, string body) =>
        $$"""{"custom_id":"{{customId}}","method":"POST","url":"{{url}}","body":{{body}}}""";

    private static string Completion(int seed, int maxTokens, int[]? prefix = null) =>
        $$"""{"model":"{{TestModel.Id}}","prompt":[{{string.Join(',', prefix is null ? Prompts.Make(seed, 40) : Prompts.WithPrefix(prefix, seed, 8))}}],"max_tokens":{{maxTokens}},"temperature":0,"ignore_eos":true}""";

    private static HttpClient Client(Uri router) => new()
    {
        BaseAddress = router,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", ClusterFixture.ApiKey) },
    };

    [Fact]
    public async Task OpenAiNpmClient_Batch_GreedyOutputsEqualOnline_BadLinesInErrorFile()
    {
        var shared = Prompts.Make(900, 48); // three full blocks shared by four requests: one prefix group
        var lines = Enumerable.Range(0, 4).Select(i => Line($"shared-{i}", "/v1/completions", Completion(i, 6, shared)))
            .Append(Line("alone", "/v1/completions", Completion(77, 5)))
            .Append(Line("bad", "/v1/completions", """{"model":"tiny","prompt":"x","temperature":9}"""))
            .Append("{oops")
            .ToList();
        var input = Path.Combine(Directory.CreateTempSubdirectory("batch-it-").FullName, "input.jsonl");
        await File.WriteAllLinesAsync(input, lines);

        var o = await NodeScript.RunAsync("tests/interop/openai/openai_batch.js", "tests/interop/openai", "openai",
            new Uri(fixture.Cluster.RouterHttp, "/v1").ToString(), ClusterFixture.ApiKey, "run", input, "/v1/completions", "50000");

        var batch = o.GetProperty("batch");
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(5, batch.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(2, batch.GetProperty("request_counts").GetProperty("failed").GetInt32());
        var errors = o.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(["bad", null], errors.Select(e => e.GetProperty("custom_id").GetString()));
        Assert.Contains("temperature", errors[0].GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("invalid_json", errors[1].GetProperty("error").GetProperty("code").GetString());

        using var http = Client(fixture.Cluster.RouterHttp);
        var output = o.GetProperty("output").EnumerateArray().ToList();
        Assert.Equal(5, output.Count);
        foreach (var line in output)
        {
            var index = lines.FindIndex(l => l.Contains($"\"custom_id\":\"{line.GetProperty("custom_id").GetString()}\"", StringComparison.Ordinal));
            var body = JsonDocument.Parse(lines[index]).RootElement.GetProperty("body").GetRawText();
            using var online = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            var expected = JsonDocument.Parse(await online.Content.ReadAsStringAsync()).RootElement;
            var got = line.GetProperty("response").GetProperty("body");
            Assert.Equal(expected.GetProperty("choices")[0].GetProperty("text").GetString(), got.GetProperty("choices")[0].GetProperty("text").GetString());
            Assert.Equal(expected.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), got.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }
    }

    [Fact]
    public async Task OpenAiNpmClient_Cancel_BatchEndsCancelled()
    {
        var input = Path.Combine(Directory.CreateTempSubdirectory("batch-it-").FullName, "input.jsonl");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 30).Select(i => Line($"r{i}", "/v1/completions", Completion(i + 100, 40))));

        var o = await NodeScript.RunAsync("tests/interop/openai/openai_batch.js", "tests/interop/openai", "openai",
            new Uri(fixture.Cluster.RouterHttp, "/v1").ToString(), ClusterFixture.ApiKey, "cancel", input, "/v1/completions", "50000");

        Assert.Equal("cancelling", o.GetProperty("cancelling").GetProperty("status").GetString());
        var batch = o.GetProperty("batch");
        Assert.Equal("cancelled", batch.GetProperty("status").GetString());
        Assert.True(batch.GetProperty("request_counts").GetProperty("completed").GetInt32() < 30, batch.ToString());
    }

    /// <summary>
    /// A completion window of 3 s (<c>Batch:CompletionWindowOverride</c>) over a batch that needs far longer: through the
    /// npm client the batch ends expired, what was done is in the output file, every other request is a batch_expired
    /// error line, and the two files together hold every request once.
    /// </summary>
    [Fact]
    public async Task OpenAiNpmClient_WindowPasses_BatchExpired_DoneKept_RestBatchExpired()
    {
        const int requests = 300; // about 10 a second here with one at a time: far more than 3 s of work
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 1, new Dictionary<string, string>
        {
            ["Batch:MaxConcurrency"] = "1",
            ["Batch:CompletionWindowOverride"] = "00:00:03",
        }));
        var input = Path.Combine(Directory.CreateTempSubdirectory("batch-it-").FullName, "input.jsonl");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, requests).Select(i => Line($"x{i}", "/v1/completions", Completion(i + 700, 48))));

        var o = await NodeScript.RunAsync("tests/interop/openai/openai_batch.js", "tests/interop/openai", "openai",
            new Uri(cluster.RouterHttp, "/v1").ToString(), ClusterFixture.ApiKey, "run", input, "/v1/completions", "60000");

        var batch = o.GetProperty("batch");
        Assert.Equal("expired", batch.GetProperty("status").GetString());
        Assert.Equal(batch.GetProperty("created_at").GetInt64() + 3, batch.GetProperty("expires_at").GetInt64());
        Assert.True(batch.GetProperty("expired_at").GetInt64() >= batch.GetProperty("expires_at").GetInt64(), batch.ToString());
        var output = o.GetProperty("output").EnumerateArray().Select(l => l.GetProperty("custom_id").GetString()!).ToList();
        var errors = o.GetProperty("errors").EnumerateArray().ToList();
        Assert.InRange(output.Count, 0, requests - 1);
        Assert.Equal(output.Count, batch.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.All(errors, e => Assert.Equal("batch_expired", e.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(Enumerable.Range(0, requests).Select(i => $"x{i}").Order(),
            output.Concat(errors.Select(e => e.GetProperty("custom_id").GetString()!)).Order());
    }

    /// <summary>
    /// The router is killed (as a crash) mid-batch and restarted by its supervisor: the batch resumes from the results
    /// in Redis, every request has exactly one output line, and no request's result was produced twice (the router
    /// logs each saved result; both processes write the same log).
    /// </summary>
    [Fact]
    public async Task RouterKilledMidBatch_Restarted_NothingLostNothingDoneTwice()
    {
        const int requests = 24;
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 1, new Dictionary<string, string>
        {
            ["Batch:MaxConcurrency"] = "1",
            ["Logging:LogLevel:Cluster.Router.Batch"] = "Debug",
        }));
        using var http = Client(cluster.RouterHttp);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            {
                new ByteArrayContent(Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, requests)
                    .Select(i => Line($"k{i}", "/v1/completions", Completion(i + 300, 24)))))), "file", "in.jsonl"
            },
        };
        using var uploaded = await http.PostAsync("/v1/files", form);
        var fileId = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var created = await http.PostAsync("/v1/batches", new StringContent(
            $$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/completions","completion_window":"24h"}""", Encoding.UTF8, "application/json"));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        await Deadline.UntilAsync(async () => (await GetAsync(http, id))?.GetProperty("request_counts").GetProperty("completed").GetInt32() >= 3,
            TimeSpan.FromSeconds(60), "3 batch requests completed");
        var router = cluster.Process("router");
        var pid = router.Id;
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(entireProcessTree: true);
        }

        JsonElement? final = null;
        await Deadline.UntilAsync(async () => (final = await GetAsync(http, id))?.GetProperty("status").GetString() == "completed",
            TimeSpan.FromSeconds(90), "the batch completed after the router's restart");

        Assert.NotEqual(pid, router.Id);
        var counts = final!.Value.GetProperty("request_counts");
        Assert.Equal(requests, counts.GetProperty("completed").GetInt32());
        var output = (await http.GetStringAsync($"/v1/files/{final.Value.GetProperty("output_file_id").GetString()}/content"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, requests).Select(i => $"k{i}"), output);

        // The restarted router ran exactly the requests without a stored result: none twice (the killed one may have
        // lost its last log lines, so its own count is not compared).
        var resumed = ResumedLine().Match(router.LogTail(100_000));
        Assert.True(resumed.Success, "the restarted router did not log that it resumed the batch");
        var done = int.Parse(resumed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(done, 3, requests - 1);
        List<string> rerun = [];
        await Deadline.UntilAsync(() =>
        {
            var log = router.LogTail(100_000);
            rerun = SavedLine().Matches(log[log.LastIndexOf("requests already done", StringComparison.Ordinal)..]).Select(m => m.Groups[1].Value).ToList();
            return Task.FromResult(rerun.Count >= requests - done);
        }, TimeSpan.FromSeconds(10), $"the restarted router logged {requests - done} saved results");
        Assert.Equal(requests - done, rerun.Count);
        Assert.Equal(rerun.Count, rerun.Distinct().Count());
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
            return null; // the router is restarting
        }
    }

    [GeneratedRegex(@"resuming, (\d+) of \d+ requests already done")]
    private static partial Regex ResumedLine();

    [GeneratedRegex(@"Batch request batch_req_[0-9a-f]+_(\d+) completed, result saved")]
    private static partial Regex SavedLine();
}
