namespace Cluster.Router.Batch;

/// <summary>
/// Where files, batch jobs and per-request results live: Redis when <c>ClusterState:RedisConnectionString</c> is set
/// (<see cref="RedisBatchStore"/>), else a local folder (<see cref="LocalBatchStore"/>). Results are saved one by one as
/// requests finish, so a restarted router resumes a batch without redoing any request already done.
/// </summary>
public interface IBatchStore
{
    Task SaveFileAsync(BatchFile file, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    Task<BatchFile?> GetFileAsync(string id, CancellationToken cancellationToken);

    Task<byte[]?> GetFileContentAsync(string id, CancellationToken cancellationToken);

    Task<bool> DeleteFileAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every file, newest first.</summary>
    Task<IReadOnlyList<BatchFile>> ListFilesAsync(CancellationToken cancellationToken);

    Task SaveBatchAsync(BatchJob batch, CancellationToken cancellationToken);

    Task<BatchJob?> GetBatchAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Applies <paramref name="change"/> to the stored job and saves the result as one compare-and-set: a job written
    /// meanwhile by anyone (another router's API, this router's executor) makes it read the job again and apply
    /// <paramref name="change"/> again, so no update is lost (a request count never overwrites a cancel). The change
    /// may therefore run more than once and must depend only on the job it is given. Null when there is no such job.
    /// </summary>
    Task<BatchJob?> UpdateBatchAsync(string id, Func<BatchJob, BatchJob> change, CancellationToken cancellationToken);

    /// <summary>Every batch, newest first.</summary>
    Task<IReadOnlyList<BatchJob>> ListBatchesAsync(CancellationToken cancellationToken);

    /// <summary>Saves one request's result; a second save of the same index is ignored (the first one wins).</summary>
    Task SaveResultAsync(string batchId, BatchResult result, CancellationToken cancellationToken);

    /// <summary>Every saved result of the batch, by input line index.</summary>
    Task<IReadOnlyDictionary<int, BatchResult>> GetResultsAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>Deletes the batch's per-request results (once its output and error files are written and it has ended).</summary>
    Task DeleteResultsAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>
    /// Takes (or, held by <paramref name="owner"/>, extends) the right to run the batch for <paramref name="ttl"/>, so
    /// that of several routers on one store only one runs it; false while another owner holds it.
    /// </summary>
    Task<bool> TryLeaseAsync(string batchId, string owner, TimeSpan ttl, CancellationToken cancellationToken);

    Task ReleaseLeaseAsync(string batchId, string owner, CancellationToken cancellationToken);
}

/// <summary>The store failed (Redis unreachable, disk error): HTTP 503 on the API, a retry later for the executor.</summary>
public sealed class BatchStoreException(string message, Exception? inner = null) : Exception(message, inner)
{
    public BatchStoreException()
        : this("the batch store failed")
    {
    }

    public BatchStoreException(string message)
        : this(message, null)
    {
    }
}
