using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Cluster.Router.Batch;

/// <summary>
/// The embedded store: a folder (<c>Batch:StorageDirectory</c>) with <c>files/{id}.json</c> + <c>files/{id}.data</c>,
/// <c>batches/{id}.json</c> (written to a temporary file, then renamed) and <c>results/{id}.jsonl</c>, one appended,
/// flushed line per finished request (no fsync: a killed router loses nothing, a power cut may lose the last results, which then run again) (a torn last line after a crash is ignored: that request runs again).
/// Job updates hold an exclusive lock on <c>batches/.lock</c> (<see cref="UpdateBatchAsync"/>).
/// </summary>
public sealed class LocalBatchStore : IBatchStore
{
    private readonly string _files;
    private readonly string _batches;
    private readonly string _results;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _resultLocks = new();

    public LocalBatchStore(string directory)
    {
        _files = Directory.CreateDirectory(Path.Combine(directory, "files")).FullName;
        _batches = Directory.CreateDirectory(Path.Combine(directory, "batches")).FullName;
        _results = Directory.CreateDirectory(Path.Combine(directory, "results")).FullName;
    }

    public async Task SaveFileAsync(BatchFile file, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await File.WriteAllBytesAsync(FilePath(file.Id, ".data"), content.ToArray(), cancellationToken);
        await WriteAtomicAsync(FilePath(file.Id, ".json"), JsonSerializer.SerializeToUtf8Bytes(file, BatchJsonContext.Default.BatchFile), cancellationToken);
    }

    public async Task<BatchFile?> GetFileAsync(string id, CancellationToken cancellationToken) =>
        await ReadAsync(FilePath(id, ".json"), b => JsonSerializer.Deserialize(b, BatchJsonContext.Default.BatchFile), cancellationToken);

    public async Task<byte[]?> GetFileContentAsync(string id, CancellationToken cancellationToken) =>
        await GetFileAsync(id, cancellationToken) is null ? null : await ReadAsync(FilePath(id, ".data"), b => b, cancellationToken);

    public Task<bool> DeleteFileAsync(string id, CancellationToken cancellationToken)
    {
        var meta = FilePath(id, ".json");
        if (!File.Exists(meta))
        {
            return Task.FromResult(false);
        }

        File.Delete(meta);
        File.Delete(FilePath(id, ".data"));
        return Task.FromResult(true);
    }

    public async Task<IReadOnlyList<BatchFile>> ListFilesAsync(CancellationToken cancellationToken)
    {
        var all = new List<BatchFile>();
        foreach (var path in Directory.EnumerateFiles(_files, "*.json"))
        {
            if (await ReadAsync(path, b => JsonSerializer.Deserialize(b, BatchJsonContext.Default.BatchFile), cancellationToken) is { } f)
            {
                all.Add(f);
            }
        }

        return all.OrderByDescending(f => f.CreatedAt).ThenByDescending(f => f.Id, StringComparer.Ordinal).ToList();
    }

    public Task SaveBatchAsync(BatchJob batch, CancellationToken cancellationToken) =>
        WriteAtomicAsync(BatchPath(batch.Id), JsonSerializer.SerializeToUtf8Bytes(batch, BatchJsonContext.Default.BatchJob), cancellationToken);

    public async Task<BatchJob?> GetBatchAsync(string id, CancellationToken cancellationToken) =>
        await ReadAsync(BatchPath(id), b => JsonSerializer.Deserialize(b, BatchJsonContext.Default.BatchJob), cancellationToken);

    /// <summary>
    /// Under an exclusive lock on <c>batches/.lock</c> (FileShare.None: an advisory flock on Unix, honoured by every
    /// store on the folder, in this process or another): read, change, write.
    /// </summary>
    public async Task<BatchJob?> UpdateBatchAsync(string id, Func<BatchJob, BatchJob> change, CancellationToken cancellationToken)
    {
        var path = BatchPath(id);
        await using var held = await LockAsync(cancellationToken);
        var job = await ReadAsync(path, b => JsonSerializer.Deserialize(b, BatchJsonContext.Default.BatchJob), cancellationToken);
        if (job is null)
        {
            return null;
        }

        var next = change(job);
        if (!Equals(next, job))
        {
            await WriteAtomicAsync(path, JsonSerializer.SerializeToUtf8Bytes(next, BatchJsonContext.Default.BatchJob), cancellationToken);
        }

        return next;
    }

    /// <summary>Waits for the folder's job lock, at most <see cref="LockWait"/> (then the store is reported as failed).</summary>
    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(_batches, ".lock");
        var until = Environment.TickCount64 + (long)LockWait.TotalMilliseconds;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                if (Environment.TickCount64 > until)
                {
                    throw new BatchStoreException($"The batch job lock {path} was held by another process for over {LockWait.TotalSeconds} s: is a stuck router using Batch:StorageDirectory?", e);
                }

                await Task.Delay(2, cancellationToken);
            }
        }
    }

    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    public async Task<IReadOnlyList<BatchJob>> ListBatchesAsync(CancellationToken cancellationToken)
    {
        var all = new List<BatchJob>();
        foreach (var path in Directory.EnumerateFiles(_batches, "*.json"))
        {
            if (await ReadAsync(path, b => JsonSerializer.Deserialize(b, BatchJsonContext.Default.BatchJob), cancellationToken) is { } j)
            {
                all.Add(j);
            }
        }

        return all.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id, StringComparer.Ordinal).ToList();
    }

    public async Task SaveResultAsync(string batchId, BatchResult result, CancellationToken cancellationToken)
    {
        var gate = _resultLocks.GetOrAdd(batchId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var line = JsonSerializer.Serialize(result, BatchJsonContext.Default.BatchResult) + "\n";
            await using var stream = new FileStream(ResultsPath(batchId), FileMode.Append, FileAccess.Write, FileShare.Read);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
            await stream.FlushAsync(cancellationToken); // in the OS's cache: survives the router process being killed (not a power cut)
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<IReadOnlyDictionary<int, BatchResult>> GetResultsAsync(string batchId, CancellationToken cancellationToken)
    {
        var results = new Dictionary<int, BatchResult>();
        var path = ResultsPath(batchId);
        if (!File.Exists(path))
        {
            return results;
        }

        foreach (var line in await File.ReadAllLinesAsync(path, cancellationToken))
        {
            try
            {
                if (line.Length > 0 && JsonSerializer.Deserialize(line, BatchJsonContext.Default.BatchResult) is { } r)
                {
                    results.TryAdd(r.Index, r);
                }
            }
            catch (JsonException)
            {
                // a line torn by a crash: that request had not been recorded, it runs again
            }
        }

        return results;
    }

    public Task DeleteResultsAsync(string batchId, CancellationToken cancellationToken)
    {
        File.Delete(ResultsPath(batchId));
        return Task.CompletedTask;
    }

    /// <summary>One router per folder: the lease is always this router's.</summary>
    public Task<bool> TryLeaseAsync(string batchId, string owner, TimeSpan ttl, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task ReleaseLeaseAsync(string batchId, string owner, CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    private static async Task<T?> ReadAsync<T>(string path, Func<byte[], T?> parse, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return parse(await File.ReadAllBytesAsync(path, cancellationToken));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private string FilePath(string id, string extension) => Path.Combine(_files, Safe(id) + extension);

    private string BatchPath(string id) => Path.Combine(_batches, Safe(id) + ".json");

    private string ResultsPath(string id) => Path.Combine(_results, Safe(id) + ".jsonl");

    /// <summary>Ids are ours (<see cref="BatchIds"/>); anything else cannot name a path outside the folder.</summary>
    private static string Safe(string id) =>
        BatchIds.IsWellFormed(id) ? id : throw new ArgumentException($"'{id}' is not a batch or file id.", nameof(id));
}
