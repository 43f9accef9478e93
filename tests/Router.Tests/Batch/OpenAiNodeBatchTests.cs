using System.Text.Json;
using Cluster.Router.Tests.Api.Infrastructure;

namespace Cluster.Router.Tests.Batch;

/// <summary>The official <c>openai</c> npm client, unmodified, through the Batch API (tests/interop/openai/openai_batch.js).</summary>
public sealed class OpenAiNodeBatchTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("batch-node-test-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task OpenAiNpmClient_UploadCreatePollDownloadListDelete()
    {
        NodeScript.EnsureInstalled(Path.Combine(NodeScript.OpenAiDirectory, "node_modules"), "openai", "npm ci --prefix tests/interop/openai");
        await using var router = await RouterHarness.StartAsync(requireKey: true, extraArgs: [$"--Batch:StorageDirectory={Path.Combine(_dir.FullName, "store")}"]);
        var input = Path.Combine(_dir.FullName, "input.jsonl");
        await File.WriteAllLinesAsync(input,
        [
            BatchApiTests.Line("one", "/v1/completions", """{"model":"tiny","prompt":"Hi","max_tokens":4,"temperature":0}"""),
            BatchApiTests.Line("two", "/v1/completions", """{"model":"tiny","prompt":"Hello","max_tokens":6,"temperature":0}"""),
            "not json",
        ]);

        var o = JsonDocument.Parse(await NodeScript.RunAsync("openai_batch.js", new Uri(router.HttpAddress, "/v1").ToString(), RouterHarness.ApiKey,
            "run", input, "/v1/completions", "30000")).RootElement;

        Assert.Equal("processed", o.GetProperty("retrievedFile").Str("status"));
        Assert.Equal("validating", o.GetProperty("created").Str("status"));
        var batch = o.GetProperty("batch");
        Assert.Equal("completed", batch.Str("status"));
        Assert.Equal(3, batch.GetProperty("request_counts").Int("total"));
        var output = o.GetProperty("output").EnumerateArray().ToList();
        Assert.Equal(["one", "two"], output.Select(l => l.Str("custom_id")));
        Assert.Equal(router.Coordinator.Output[..6], output[1].GetProperty("response").GetProperty("body").GetProperty("choices")[0].Str("text"));
        Assert.Equal("invalid_json", Assert.Single(o.GetProperty("errors").EnumerateArray()).GetProperty("error").Str("code"));
        Assert.Equal([batch.Str("id")], o.GetProperty("list").GetProperty("ids").EnumerateArray().Select(x => x.GetString()));
        Assert.True(o.GetProperty("deleted").GetProperty("deleted").GetBoolean());
        Assert.Equal(404, o.GetProperty("afterDelete").Int("status"));
    }
}
