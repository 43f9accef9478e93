namespace Cluster.Router.Batch;

/// <summary>
/// Job updates of the API (create, cancel) and the executor (status, request counts): each update is the store's
/// compare-and-set (<see cref="IBatchStore.UpdateBatchAsync"/>), so neither overwrites the other's change, also
/// across routers sharing one Redis. The clock (created, expiry and retention times, the expiry timer) is the router's
/// <see cref="TimeProvider"/>, or one registered under the key <see cref="ClockKey"/> (tests move it by hand without
/// moving the rest of the router's time).
/// </summary>
public sealed class BatchJobs(IBatchStore store, TimeProvider clock)
{
    public const string ClockKey = "batch";

    public IBatchStore Store => store;

    public TimeProvider Clock => clock;

    public long Now => clock.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>
    /// Applies <paramref name="change"/> to the latest stored job and saves the result; null when there is no such job.
    /// The change may run more than once (another writer came first): it must depend only on the job it is given.
    /// </summary>
    public Task<BatchJob?> UpdateAsync(string id, Func<BatchJob, BatchJob> change, CancellationToken cancellationToken) =>
        store.UpdateBatchAsync(id, change, cancellationToken);

    public Task CreateAsync(BatchJob job, CancellationToken cancellationToken) => store.SaveBatchAsync(job, cancellationToken);
}
