using System.Text.Json;
using Cluster.ClusterState.Redis;
using StackExchange.Redis;

namespace Cluster.Router.Batch;

/// <summary>
/// The store on the cluster's Redis (same connection and key prefix as the prefix index, default <c>cl:</c>):
/// <c>{p}batch:file:{id}</c> HASH (meta, chunks, data:0…: 1 MiB each), <c>{p}batch:files</c> ZSET of file ids by creation time,
/// <c>{p}batch:job:{id}</c> the batch JSON, <c>{p}batch:jobs</c> ZSET of batch ids, <c>{p}batch:res:{id}</c> HASH
/// line index → result (HSETNX: the first result of a request wins), <c>{p}batch:lease:{id}</c> the running router. Job
/// updates are a compare-and-set on the job JSON (<see cref="UpdateBatchAsync"/>). A failed call throws <see cref="BatchStoreException"/>.
/// </summary>
public sealed class RedisBatchStore(RedisConnection connection) : IBatchStore
{
    private readonly string _p = connection.Keys.Prefix + "batch:";

    /// <summary>File content is stored in fields of <see cref="ChunkBytes"/> (each its own call within the connection's timeout).</summary>
    public const int ChunkBytes = 1 << 20;

    public async Task SaveFileAsync(BatchFile file, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var key = _p + "file:" + file.Id;
        var chunks = 0;
        for (var offset = 0; offset < content.Length || chunks == 0; offset += ChunkBytes, chunks++)
        {
            var chunk = content.Slice(offset, Math.Min(ChunkBytes, content.Length - offset));
            var field = "data:" + chunks.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await CallAsync("batch.file.save", db => db.HashSetAsync(key, field, chunk), cancellationToken);
        }

        await CallAsync("batch.file.save", async db =>
        {
            await db.HashSetAsync(key, [new HashEntry("meta", JsonSerializer.Serialize(file, BatchJsonContext.Default.BatchFile)), new HashEntry("chunks", chunks)]);
            return await db.SortedSetAddAsync(_p + "files", file.Id, file.CreatedAt);
        }, cancellationToken);
    }

    public async Task<BatchFile?> GetFileAsync(string id, CancellationToken cancellationToken)
    {
        var meta = await CallAsync("batch.file.get", db => db.HashGetAsync(_p + "file:" + id, "meta"), cancellationToken);
        return meta.IsNull ? null : JsonSerializer.Deserialize((string)meta!, BatchJsonContext.Default.BatchFile);
    }

    public async Task<byte[]?> GetFileContentAsync(string id, CancellationToken cancellationToken)
    {
        var key = _p + "file:" + id;
        var chunks = await CallAsync("batch.file.content", db => db.HashGetAsync(key, "chunks"), cancellationToken);
        if (chunks.IsNull)
        {
            return null;
        }

        using var content = new MemoryStream();
        for (var i = 0; i < (int)chunks; i++)
        {
            var field = "data:" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var data = await CallAsync("batch.file.content", db => db.HashGetAsync(key, field), cancellationToken);
            if (data.IsNull)
            {
                return null; // deleted while being read
            }

            content.Write((byte[])data!);
        }

        return content.ToArray();
    }

    public Task<bool> DeleteFileAsync(string id, CancellationToken cancellationToken) =>
        CallAsync("batch.file.delete", async db =>
        {
            await db.SortedSetRemoveAsync(_p + "files", id);
            return await db.KeyDeleteAsync(_p + "file:" + id);
        }, cancellationToken);

    public async Task<IReadOnlyList<BatchFile>> ListFilesAsync(CancellationToken cancellationToken)
    {
        var ids = await CallAsync("batch.file.list", db => db.SortedSetRangeByRankAsync(_p + "files", order: Order.Descending), cancellationToken);
        var files = new List<BatchFile>();
        foreach (var id in ids)
        {
            if (await GetFileAsync(id!, cancellationToken) is { } f)
            {
                files.Add(f);
            }
        }

        return files;
    }

    public Task SaveBatchAsync(BatchJob batch, CancellationToken cancellationToken) =>
        CallAsync("batch.job.save", async db =>
        {
            await db.StringSetAsync(_p + "job:" + batch.Id, JsonSerializer.Serialize(batch, BatchJsonContext.Default.BatchJob));
            return await db.SortedSetAddAsync(_p + "jobs", batch.Id, batch.CreatedAt);
        }, cancellationToken);

    public async Task<BatchJob?> GetBatchAsync(string id, CancellationToken cancellationToken)
    {
        var json = await CallAsync("batch.job.get", db => db.StringGetAsync(_p + "job:" + id), cancellationToken);
        return json.IsNull ? null : JsonSerializer.Deserialize((string)json!, BatchJsonContext.Default.BatchJob);
    }

    /// <summary>Compare-and-set: the new JSON is written only if the key still holds the JSON the change was applied to (a Lua script), else read again.</summary>
    public async Task<BatchJob?> UpdateBatchAsync(string id, Func<BatchJob, BatchJob> change, CancellationToken cancellationToken)
    {
        var key = _p + "job:" + id;
        while (true)
        {
            var json = await CallAsync("batch.job.update", db => db.StringGetAsync(key), cancellationToken);
            if (json.IsNull || JsonSerializer.Deserialize((string)json!, BatchJsonContext.Default.BatchJob) is not { } job)
            {
                return null;
            }

            var next = change(job);
            if (Equals(next, job))
            {
                return job;
            }

            var written = await CallAsync("batch.job.update", db => db.ScriptEvaluateAsync(CompareAndSet, [key],
                [json, JsonSerializer.Serialize(next, BatchJsonContext.Default.BatchJob)]), cancellationToken);
            if ((int)written == 1)
            {
                return next;
            }
        }
    }

    private const string CompareAndSet = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0";

    public async Task<IReadOnlyList<BatchJob>> ListBatchesAsync(CancellationToken cancellationToken)
    {
        var ids = await CallAsync("batch.job.list", db => db.SortedSetRangeByRankAsync(_p + "jobs", order: Order.Descending), cancellationToken);
        var jobs = new List<BatchJob>();
        foreach (var id in ids)
        {
            if (await GetBatchAsync(id!, cancellationToken) is { } j)
            {
                jobs.Add(j);
            }
        }

        return jobs;
    }

    public Task SaveResultAsync(string batchId, BatchResult result, CancellationToken cancellationToken) =>
        CallAsync("batch.result.save", db => db.HashSetAsync(_p + "res:" + batchId, result.Index,
            JsonSerializer.Serialize(result, BatchJsonContext.Default.BatchResult), When.NotExists), cancellationToken);

    public async Task<IReadOnlyDictionary<int, BatchResult>> GetResultsAsync(string batchId, CancellationToken cancellationToken)
    {
        var entries = await CallAsync("batch.result.list", db => db.HashGetAllAsync(_p + "res:" + batchId), cancellationToken);
        var results = new Dictionary<int, BatchResult>();
        foreach (var entry in entries)
        {
            if (JsonSerializer.Deserialize((string)entry.Value!, BatchJsonContext.Default.BatchResult) is { } r)
            {
                results[r.Index] = r;
            }
        }

        return results;
    }

    public Task DeleteResultsAsync(string batchId, CancellationToken cancellationToken) =>
        CallAsync("batch.result.delete", db => db.KeyDeleteAsync(_p + "res:" + batchId), cancellationToken);

    /// <summary><c>{p}batch:lease:{id}</c> = owner with a TTL (StackExchange.Redis' lock: SET NX PX, extend and release only by the owner).</summary>
    public Task<bool> TryLeaseAsync(string batchId, string owner, TimeSpan ttl, CancellationToken cancellationToken) =>
        CallAsync("batch.lease", async db =>
            await db.LockExtendAsync(_p + "lease:" + batchId, owner, ttl) || await db.LockTakeAsync(_p + "lease:" + batchId, owner, ttl), cancellationToken);

    public Task ReleaseLeaseAsync(string batchId, string owner, CancellationToken cancellationToken) =>
        CallAsync("batch.lease.release", db => db.LockReleaseAsync(_p + "lease:" + batchId, owner), cancellationToken);

    /// <summary>Up to three tries (the connection's per-call timeout each), then <see cref="BatchStoreException"/>.</summary>
    private async Task<T> CallAsync<T>(string operation, Func<IDatabaseAsync, Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (ok, value) = await connection.TryAsync(operation, call, cancellationToken);
            if (ok)
            {
                return value;
            }

            if (attempt == 3)
            {
                throw new BatchStoreException($"Redis did not complete {operation} (ClusterState:RedisConnectionString); the batch store is unavailable, retry later.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
        }
    }
}
