using System.Net;
using System.Text.Json;
using Cluster.Router.Tests.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Cluster.Router.Tests.Batch.BatchApiTests;
using Cluster.Tests.Shared;

namespace Cluster.Router.Tests.Batch;

/// <summary>
/// A batch's lifetime on an in-process router whose clock moves only when the test says
/// (<see cref="ManualTimeProvider"/>): the completion window (expired, batch_expired error lines), deleting a batch's
/// files (refused for the input of a running batch, storage freed) and <c>Batch:ResultRetention</c>.
/// </summary>
public sealed class BatchLifetimeTests : IAsyncLifetime
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("batch-lifetime-test-");
    private readonly ManualTimeProvider _clock = new();
    private RouterHarness _router = null!;

    public async Task InitializeAsync() =>
        _router = await RouterHarness.StartAsync(requireKey: true, extraArgs:
            [
                $"--Batch:StorageDirectory={_dir.FullName}", $"--Batch:CompletionWindowOverride={Window}", $"--Batch:ResultRetention={Retention}",
                "--Batch:MaxConcurrency=1",
            ],
            services: s => s.AddKeyedSingleton<TimeProvider>(Cluster.Router.Batch.BatchJobs.ClockKey, _clock));

    public async Task DisposeAsync()
    {
        await _router.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private static string Request(string id, int maxTokens) => Line(id, "/v1/completions", $$"""{"model":"tiny","prompt":"{{id}}","max_tokens":{{maxTokens}}}""");

    private async Task<JsonElement> CreateAsync(string input)
    {
        var file = await UploadAsync(_router.Http, input);
        var (status, created) = await SendAsync(_router.Http, HttpMethod.Post, "/v1/batches",
            $$$"""{"input_file_id":"{{{file.Str("id")}}}","endpoint":"/v1/completions","completion_window":"24h","metadata":{"scheduling":"file-order"}}""");
        Assert.True(status == HttpStatusCode.OK, created.ToString());
        return created;
    }

    /// <summary>
    /// Two requests complete, the third hangs (the fake coordinator stops after 3 tokens of the 8 it asks), the
    /// fourth waits behind it; the clock passes expires_at: the batch ends expired, the done results are in the
    /// output file, the others are batch_expired error lines, and the request behind the hanging one never ran.
    /// </summary>
    [Fact]
    public async Task WindowPasses_Expired_DoneResultsKept_NotRunOnesAreBatchExpiredErrors_ThenFilesDeleted()
    {
        _router.Coordinator.HangAfterTokens = 3; // a request of max_tokens 3 ends before reaching it
        var input = string.Join('\n', Request("r0", 3), Request("r1", 3), Request("r2", 8), Request("r3", 3), "{broken");
        var created = await CreateAsync(input);
        var id = created.Str("id");
        Assert.Equal(created.GetProperty("created_at").GetInt64() + (long)Window.TotalSeconds, created.GetProperty("expires_at").GetInt64());
        await _router.Coordinator.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var (_, running) = await SendAsync(_router.Http, HttpMethod.Get, $"/v1/batches/{id}");
        Assert.Equal("in_progress", running.Str("status")); // nothing expires before the clock says so
        var (inUse, refused) = await SendAsync(_router.Http, HttpMethod.Delete, $"/v1/files/{created.Str("input_file_id")}");
        Assert.Equal(HttpStatusCode.Conflict, inUse);
        Assert.Contains($"is the input of batch {id}, which is in_progress", refused.GetProperty("error").Str("message"), StringComparison.Ordinal);

        _clock.Advance(Window);
        var batch = await WaitFinalAsync(_router.Http, id, TimeSpan.FromSeconds(30));

        Assert.Equal("expired", batch.Str("status"));
        Assert.Equal(batch.GetProperty("expires_at").GetInt64(), batch.GetProperty("expired_at").GetInt64());
        Assert.Equal((2, 3), (batch.GetProperty("request_counts").Int("completed"), batch.GetProperty("request_counts").Int("failed")));
        var output = await LinesAsync(_router.Http, batch.GetProperty("output_file_id"));
        Assert.Equal(["r0", "r1"], output.Select(l => l.Str("custom_id")));
        var errors = await LinesAsync(_router.Http, batch.GetProperty("error_file_id"));
        Assert.Equal(["r2", "r3", null], errors.Select(e => e.GetProperty("custom_id").GetString()));
        Assert.Equal(["batch_expired", "batch_expired", "invalid_json"], errors.Select(e => e.GetProperty("error").Str("code")));
        Assert.Contains("not run before the batch's completion window ended", errors[0].GetProperty("error").Str("message"), StringComparison.Ordinal);
        Assert.Equal(3, _router.Coordinator.Requests.Count); // r3 never started
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "results", id + ".jsonl")), "the per-request results were kept after the files were written");

        // The batch's files can be deleted; the batch still answers; the storage is freed.
        foreach (var file in new[] { batch.Str("output_file_id"), batch.Str("error_file_id"), batch.Str("input_file_id") })
        {
            var (deletedStatus, deleted) = await SendAsync(_router.Http, HttpMethod.Delete, $"/v1/files/{file}");
            Assert.Equal(HttpStatusCode.OK, deletedStatus);
            Assert.True(deleted.GetProperty("deleted").GetBoolean());
            var (gone, _) = await SendAsync(_router.Http, HttpMethod.Get, $"/v1/files/{file}/content");
            Assert.Equal(HttpStatusCode.NotFound, gone);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir.FullName, "files"), file + ".*"));
        }

        var (stillThere, after) = await SendAsync(_router.Http, HttpMethod.Get, $"/v1/batches/{id}");
        Assert.Equal(HttpStatusCode.OK, stillThere);
        Assert.Equal(("expired", batch.Str("output_file_id")), (after.Str("status"), after.Str("output_file_id")));
    }

    [Fact]
    public async Task RetentionPasses_FinishedBatchFilesDeletedBySweeper_BatchStillAnswers()
    {
        var created = await CreateAsync(Request("only", 3));
        var batch = await WaitFinalAsync(_router.Http, created.Str("id"), TimeSpan.FromSeconds(30));
        Assert.Equal("completed", batch.Str("status"));
        var output = batch.Str("output_file_id");
        var (kept, _) = await SendAsync(_router.Http, HttpMethod.Get, $"/v1/files/{output}");
        Assert.Equal(HttpStatusCode.OK, kept);

        _clock.Advance(Retention);

        // The sweeper runs with every rescan (5 s).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await SendAsync(_router.Http, HttpMethod.Get, $"/v1/files/{output}")).Item1 != HttpStatusCode.NotFound)
        {
            await Task.Delay(100, deadline.Token); // bounded by the deadline
        }

        var (_, after) = await SendAsync(_router.Http, HttpMethod.Get, $"/v1/batches/{created.Str("id")}");
        Assert.Equal("completed", after.Str("status"));
        var (inputKept, _) = await SendAsync(_router.Http, HttpMethod.Get, $"/v1/files/{created.Str("input_file_id")}");
        Assert.Equal(HttpStatusCode.OK, inputKept); // retention deletes results, not what the user uploaded
    }

    [Fact]
    public async Task CompletionWindowMissing_RefusedNamingTheValueToUse()
    {
        var file = await UploadAsync(_router.Http, Request("a", 3));
        var (status, body) = await SendAsync(_router.Http, HttpMethod.Post, "/v1/batches",
            $$"""{"input_file_id":"{{file.Str("id")}}","endpoint":"/v1/completions"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("completion_window", body.GetProperty("error").Str("param"));
        Assert.Contains("use '24h'", body.GetProperty("error").Str("message"), StringComparison.Ordinal);
    }
}
