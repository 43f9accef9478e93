using Cluster.ClusterState;
using Cluster.ClusterState.Health;
using Cluster.ClusterState.Redis;
using Cluster.Router.Batch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using System.Diagnostics.Metrics;

namespace Cluster.Router.Tests.Batch;

/// <summary>One contract for both batch stores: the local folder and Redis (a real redis-server on 127.0.0.1).</summary>
public abstract class BatchStoreContractTests : IAsyncLifetime
{
    /// <summary>A store; a second call returns a new store on the same data (a restarted router).</summary>
    protected abstract IBatchStore Open();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Results_SurviveReopening_FirstResultOfAnIndexWins()
    {
        var id = BatchIds.NewBatch();
        var first = Open();
        await first.SaveResultAsync(id, new BatchResult(0, true, "{\"a\":1}"), default);
        await first.SaveResultAsync(id, new BatchResult(2, false, "{\"b\":2}"), default);
        await first.SaveResultAsync(id, new BatchResult(0, false, "{\"again\":1}"), default);

        var results = await Open().GetResultsAsync(id, default);

        Assert.Equal([0, 2], results.Keys.Order());
        Assert.True(results[0].Ok);
        Assert.Equal("{\"a\":1}", results[0].Line);
        Assert.Empty(await Open().GetResultsAsync(BatchIds.NewBatch(), default));
    }

    /// <summary>
    /// Two routers (two stores on the same data) update one job at once: one counts completed requests, the other
    /// failed ones and, midway, cancels it. Each update is a compare-and-set: no count is lost and the cancel stays.
    /// </summary>
    [Fact]
    public async Task Update_ConcurrentFromTwoStores_NoUpdateLost_CountsNeverOverwriteACancel()
    {
        const int updates = 40;
        var (a, b) = (Open(), Open());
        var job = new BatchJob { Id = BatchIds.NewBatch(), Endpoint = "/v1/completions", InputFileId = BatchIds.NewFile(), Status = BatchStatus.InProgress };
        await a.SaveBatchAsync(job, default);
        using var start = new SemaphoreSlim(0, 2);

        async Task RunAsync(IBatchStore store, Func<BatchJob, BatchJob> change, Func<BatchJob, BatchJob>? midway)
        {
            await start.WaitAsync();
            for (var i = 0; i < updates; i++)
            {
                Assert.NotNull(await store.UpdateBatchAsync(job.Id, i == updates / 2 && midway is not null ? midway : change, default));
            }
        }

        var counting = Task.Run(() => RunAsync(a, j => j with { RequestCounts = j.RequestCounts with { Completed = j.RequestCounts.Completed + 1 } }, null));
        var cancelling = Task.Run(() => RunAsync(b, j => j with { RequestCounts = j.RequestCounts with { Failed = j.RequestCounts.Failed + 1 } },
            j => j with { Status = BatchStatus.Cancelling, RequestCounts = j.RequestCounts with { Failed = j.RequestCounts.Failed + 1 } }));
        start.Release(2);
        await Task.WhenAll(counting, cancelling).WaitAsync(TimeSpan.FromSeconds(60));

        var stored = await Open().GetBatchAsync(job.Id, default);
        Assert.Equal((updates, updates), (stored!.RequestCounts.Completed, stored.RequestCounts.Failed));
        Assert.Equal(BatchStatus.Cancelling, stored.Status);
        Assert.Null(await a.UpdateBatchAsync(BatchIds.NewBatch(), j => j, default));
    }

    /// <summary>
    /// The race itself, forced: router A has read the job and is computing its count update when router B cancels.
    /// A's write must not bring back the status it read (a compare-and-set store retries A on the fresh job; a locking
    /// store makes B wait for A).
    /// </summary>
    [Fact]
    public async Task Update_CancelWrittenWhileAnotherUpdateIsBetweenReadAndWrite_BothKept()
    {
        var (a, b) = (Open(), Open());
        var job = new BatchJob { Id = BatchIds.NewBatch(), Endpoint = "/v1/completions", InputFileId = BatchIds.NewFile(), Status = BatchStatus.InProgress };
        await a.SaveBatchAsync(job, default);
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var proceed = new ManualResetEventSlim();
        var calls = 0;
        var counting = Task.Run(() => a.UpdateBatchAsync(job.Id, j =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                inside.SetResult();
                proceed.Wait(TimeSpan.FromSeconds(30));
            }

            return j with { RequestCounts = j.RequestCounts with { Completed = j.RequestCounts.Completed + 1 } };
        }, default));
        await inside.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var cancelling = Task.Run(() => b.UpdateBatchAsync(job.Id, j => j with { Status = BatchStatus.Cancelling }, default));
        // A store without protection writes B's cancel now (and A's write then undoes it); a locking store makes B
        // wait for A, so this wait only bounds how long B gets to write before A goes on.
        await Task.WhenAny(cancelling, Task.Delay(TimeSpan.FromSeconds(1)));
        proceed.Set();
        await Task.WhenAll(counting, cancelling).WaitAsync(TimeSpan.FromSeconds(30));

        var stored = await Open().GetBatchAsync(job.Id, default);
        Assert.Equal((BatchStatus.Cancelling, 1), (stored!.Status, stored.RequestCounts.Completed));
    }

    [Fact]
    public async Task DeleteResults_RemovesEveryResultOfTheBatchOnly()
    {
        var (id, other) = (BatchIds.NewBatch(), BatchIds.NewBatch());
        var store = Open();
        await store.SaveResultAsync(id, new BatchResult(0, true, "{}"), default);
        await store.SaveResultAsync(other, new BatchResult(0, true, "{}"), default);

        await store.DeleteResultsAsync(id, default);

        Assert.Empty(await Open().GetResultsAsync(id, default));
        Assert.Single(await Open().GetResultsAsync(other, default));
        await store.DeleteResultsAsync(id, default); // again: nothing to do
    }

    /// <summary>How many stored items (folder files, Redis keys) name <paramref name="id"/>: a deleted file leaves none.</summary>
    protected abstract Task<int> StoredItemsAsync(string id);

    [Fact]
    public async Task DeleteFile_FreesItsStorage()
    {
        var file = new BatchFile(BatchIds.NewFile(), 3, 1, "out.jsonl", "batch_output");
        await Open().SaveFileAsync(file, "abc"u8.ToArray(), default);
        Assert.True(await StoredItemsAsync(file.Id) > 0, "the test cannot see the store's storage");

        Assert.True(await Open().DeleteFileAsync(file.Id, default));

        Assert.Equal(0, await StoredItemsAsync(file.Id));
    }

    [Fact]
    public async Task File_OfSeveralMegabytes_ReadBackWhole()
    {
        var content = new byte[(5 << 20) / 2];
        new Random(3).NextBytes(content);
        var file = new BatchFile(BatchIds.NewFile(), content.Length, 1, "big.jsonl", "batch");
        await Open().SaveFileAsync(file, content, default);

        Assert.Equal(content, await Open().GetFileContentAsync(file.Id, default));
    }

    [Fact]
    public async Task FilesAndBatches_SaveGetListNewestFirstDelete()
    {
        var store = Open();
        var older = new BatchFile(BatchIds.NewFile(), 3, 100, "a.jsonl", "batch");
        var newer = new BatchFile(BatchIds.NewFile(), 2, 200, "b.jsonl", "batch_output");
        await store.SaveFileAsync(older, "abc"u8.ToArray(), default);
        await store.SaveFileAsync(newer, "xy"u8.ToArray(), default);
        var job = new BatchJob { Id = BatchIds.NewBatch(), Endpoint = "/v1/completions", InputFileId = older.Id, CreatedAt = 7, Metadata = new() { ["k"] = "v" } };
        await store.SaveBatchAsync(job, default);
        await store.SaveBatchAsync(job with { Status = BatchStatus.InProgress }, default);

        var reopened = Open();
        Assert.Equal(older, await reopened.GetFileAsync(older.Id, default));
        Assert.Equal("abc"u8.ToArray(), await reopened.GetFileContentAsync(older.Id, default));
        var listed = (await reopened.ListFilesAsync(default)).Where(f => f.Id == older.Id || f.Id == newer.Id).Select(f => f.Id);
        Assert.Equal([newer.Id, older.Id], listed);
        var stored = await reopened.GetBatchAsync(job.Id, default);
        Assert.Equal(BatchStatus.InProgress, stored!.Status);
        Assert.Equal("v", stored.Metadata!["k"]);
        Assert.Single(await reopened.ListBatchesAsync(default), b => b.Id == job.Id);
        Assert.True(await reopened.DeleteFileAsync(older.Id, default));
        Assert.Null(await reopened.GetFileAsync(older.Id, default));
        Assert.Null(await reopened.GetFileContentAsync(older.Id, default));
        Assert.False(await reopened.DeleteFileAsync(older.Id, default));
        Assert.Null(await reopened.GetBatchAsync(BatchIds.NewBatch(), default));
    }
}

public sealed class LocalBatchStoreContractTests : BatchStoreContractTests
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("batch-store-test-");

    protected override IBatchStore Open() => new LocalBatchStore(_dir.FullName);

    protected override Task<int> StoredItemsAsync(string id) =>
        Task.FromResult(Directory.EnumerateFiles(_dir.FullName, "*", SearchOption.AllDirectories).Count(f => f.Contains(id, StringComparison.Ordinal)));

    public override Task DisposeAsync()
    {
        _dir.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Results_TornLastLineAfterACrash_Ignored()
    {
        var id = BatchIds.NewBatch();
        await Open().SaveResultAsync(id, new BatchResult(0, true, "{}"), default);
        await File.AppendAllTextAsync(Path.Combine(_dir.FullName, "results", id + ".jsonl"), "{\"index\":3,\"ok\":tr");

        Assert.Equal([0], (await Open().GetResultsAsync(id, default)).Keys);
    }

    [Fact]
    public async Task IdsThatAreNotOurs_NeverNameAPath() =>
        await Assert.ThrowsAsync<ArgumentException>(() => Open().GetFileAsync("../../etc/passwd", default));
}

public sealed class RedisBatchStoreContractTests : BatchStoreContractTests
{
    private readonly string _prefix = $"t{Guid.NewGuid():N}:";
    private readonly List<RedisConnection> _connections = [];
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private LocalRedisServer _redis = null!;

    public override async Task InitializeAsync() => _redis = await LocalRedisServer.StartAsync();

    public override async Task DisposeAsync()
    {
        _connections.ForEach(c => c.Dispose());
        await _redis.DisposeAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Lease_OneOwnerAtATime_ExtendedByItsOwner_FreeAfterRelease()
    {
        var id = BatchIds.NewBatch();
        var (a, b) = (Open(), Open());
        var ttl = TimeSpan.FromSeconds(30);

        Assert.True(await a.TryLeaseAsync(id, "router-a", ttl, default));
        Assert.False(await b.TryLeaseAsync(id, "router-b", ttl, default));
        Assert.True(await a.TryLeaseAsync(id, "router-a", ttl, default));
        await b.ReleaseLeaseAsync(id, "router-b", default); // not the owner: no effect
        Assert.False(await b.TryLeaseAsync(id, "router-b", ttl, default));
        await a.ReleaseLeaseAsync(id, "router-a", default);
        Assert.True(await b.TryLeaseAsync(id, "router-b", ttl, default));
    }

    protected override async Task<int> StoredItemsAsync(string id)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var keys = server.KeysAsync(pattern: _prefix + "*");
        var count = 0;
        await foreach (var key in keys)
        {
            count += ((string)key!).Contains(id, StringComparison.Ordinal) ? 1 : 0;
        }

        var members = await redis.GetDatabase().SortedSetRangeByRankAsync(_prefix + "batch:files");
        return count + members.Count(m => m == id);
    }

    protected override IBatchStore Open()
    {
        var options = Options.Create(new ClusterStateOptions
        {
            RedisConnectionString = _redis.ConnectionString, KeyPrefix = _prefix, OperationTimeout = TimeSpan.FromSeconds(5),
        });
        var connection = new RedisConnection(options, new ClusterStateHealth(TimeProvider.System, embedded: false),
            new ClusterStateInstruments(_services.GetRequiredService<IMeterFactory>()), NullLogger<RedisConnection>.Instance);
        _connections.Add(connection);
        return new RedisBatchStore(connection);
    }
}
