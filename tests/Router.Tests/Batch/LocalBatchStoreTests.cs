using Cluster.Router.Batch;

namespace Cluster.Router.Tests.Batch;

public sealed class LocalBatchStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("batch-store-test-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Results_SurviveANewStoreOnTheSameFolder_FirstResultWins_TornLastLineIgnored()
    {
        var id = BatchIds.NewBatch();
        var first = new LocalBatchStore(_dir.FullName);
        await first.SaveBatchAsync(new BatchJob { Id = id, Endpoint = "/v1/completions", InputFileId = BatchIds.NewFile(), CreatedAt = 5 }, default);
        await first.SaveResultAsync(id, new BatchResult(0, true, "{\"a\":1}"), default);
        await first.SaveResultAsync(id, new BatchResult(2, false, "{\"b\":2}"), default);
        await first.SaveResultAsync(id, new BatchResult(0, false, "{\"again\":1}"), default);
        await File.AppendAllTextAsync(Path.Combine(_dir.FullName, "results", id + ".jsonl"), "{\"index\":3,\"ok\":tr");

        var reopened = new LocalBatchStore(_dir.FullName);
        var results = await reopened.GetResultsAsync(id, default);

        Assert.Equal([0, 2], results.Keys.Order());
        Assert.True(results[0].Ok);
        Assert.Equal("{\"a\":1}", results[0].Line);
        Assert.Equal(id, Assert.Single(await reopened.ListBatchesAsync(default)).Id);
    }

    [Fact]
    public async Task Files_SaveGetListDelete_AndIdsThatAreNotOursNeverNameAPath()
    {
        var store = new LocalBatchStore(_dir.FullName);
        var file = new BatchFile(BatchIds.NewFile(), 3, 1, "in.jsonl", "batch");
        await store.SaveFileAsync(file, "abc"u8.ToArray(), default);

        Assert.Equal(file, await store.GetFileAsync(file.Id, default));
        Assert.Equal("abc"u8.ToArray(), await store.GetFileContentAsync(file.Id, default));
        Assert.Equal(file.Id, Assert.Single(await store.ListFilesAsync(default)).Id);
        Assert.True(await store.DeleteFileAsync(file.Id, default));
        Assert.Null(await store.GetFileAsync(file.Id, default));
        Assert.False(await store.DeleteFileAsync(file.Id, default));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetFileAsync("../../etc/passwd", default));
    }
}
