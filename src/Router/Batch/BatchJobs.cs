namespace Cluster.Router.Batch;

/// <summary>
/// Read-modify-write of batch jobs under one lock per router, so the API (create, cancel) and the executor (status,
/// request counts) never overwrite each other's change: a change function sees the latest stored job.
/// </summary>
public sealed class BatchJobs(IBatchStore store, TimeProvider clock)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public IBatchStore Store => store;

    public long Now => clock.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Applies <paramref name="change"/> to the stored job and saves the result; null when there is no such job.</summary>
    public async Task<BatchJob?> UpdateAsync(string id, Func<BatchJob, BatchJob> change, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var job = await store.GetBatchAsync(id, cancellationToken);
            if (job is null)
            {
                return null;
            }

            var next = change(job);
            if (!Equals(next, job))
            {
                await store.SaveBatchAsync(next, cancellationToken);
            }

            return next;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task CreateAsync(BatchJob job, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await store.SaveBatchAsync(job, cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }
}
