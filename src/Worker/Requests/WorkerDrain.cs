using Microsoft.Extensions.Options;

namespace Cluster.Worker.Requests;

/// <summary>
/// Graceful shutdown: once <see cref="Begin"/> runs (ApplicationStopping), new Reserve/Prefill/Decode calls are refused
/// with UNAVAILABLE, and <see cref="Expired"/> fires after <c>Worker:DrainTimeout</c>, cancelling what still runs.
/// </summary>
internal sealed class WorkerDrain(IOptions<WorkerOptions> options, TimeProvider time) : IDisposable
{
    private readonly CancellationTokenSource _expired = new(Timeout.InfiniteTimeSpan, time);
    private int _draining;

    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    /// <summary>Fires when the drain timeout has passed after <see cref="Begin"/>.</summary>
    public CancellationToken Expired => _expired.Token;

    /// <summary>Starts draining (idempotent).</summary>
    public void Begin()
    {
        if (Interlocked.Exchange(ref _draining, 1) == 0)
        {
            _expired.CancelAfter(options.Value.DrainTimeout);
        }
    }

    public void Dispose() => _expired.Dispose();
}
