using System.Collections.Concurrent;
using Cluster.Core.Ids;
using Cluster.Router.Routing;

namespace Cluster.Router.Coordination;

/// <summary>
/// This router's own work per worker (<see cref="RouterInFlight"/>), counted from send to finish so that routing reacts
/// between heartbeats. Each Track call returns a lease; disposing it (once) takes the work off and raises
/// <see cref="Released"/>. Thread-safe.
/// </summary>
public sealed class InFlightTracker
{
    private readonly ConcurrentDictionary<WorkerId, RouterInFlight> _counts = new();
    private readonly ConcurrentDictionary<WorkerId, long> _finishedPrefillTokens = new();

    /// <summary>Raised after a lease is released (capacity may have freed up).</summary>
    public event Action? Released;

    /// <summary>What is in flight on <paramref name="worker"/> now.</summary>
    public RouterInFlight Get(WorkerId worker) => _counts.TryGetValue(worker, out var c) ? c : RouterInFlight.None;

    /// <summary>
    /// Prompt tokens of this router's prefills on <paramref name="worker"/> that have finished, ever (monotonic): the
    /// <see cref="WorkerPool"/> subtracts those finished since its snapshot from the worker's heartbeat figure.
    /// </summary>
    public long FinishedPrefillTokens(WorkerId worker) => _finishedPrefillTokens.TryGetValue(worker, out var t) ? t : 0;

    /// <summary>A prefill of <paramref name="uncachedTokens"/> tokens sent to <paramref name="worker"/>.</summary>
    public IDisposable TrackPrefill(WorkerId worker, long uncachedTokens) =>
        Track(worker, new RouterInFlight(1, uncachedTokens, 0, 0));

    /// <summary>A request reserved on or decoding on <paramref name="worker"/>, holding <paramref name="blocks"/> KV blocks.</summary>
    public IDisposable TrackDecode(WorkerId worker, int blocks) =>
        Track(worker, new RouterInFlight(0, 0, 1, blocks));

    private Lease Track(WorkerId worker, RouterInFlight delta)
    {
        Add(worker, delta, +1);
        return new Lease(this, worker, delta);
    }

    private void Add(WorkerId worker, RouterInFlight d, int sign) =>
        _counts.AddOrUpdate(
            worker,
            _ => Scale(d, sign),
            (_, c) => new RouterInFlight(c.Prefills + (sign * d.Prefills), c.PrefillTokens + (sign * d.PrefillTokens), c.Decodes + (sign * d.Decodes), c.ReservedBlocks + (sign * d.ReservedBlocks)));

    private static RouterInFlight Scale(RouterInFlight d, int sign) =>
        new(sign * d.Prefills, sign * d.PrefillTokens, sign * d.Decodes, sign * d.ReservedBlocks);

    private sealed class Lease(InFlightTracker owner, WorkerId worker, RouterInFlight delta) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Add(worker, delta, -1);
                if (delta.PrefillTokens > 0)
                {
                    owner._finishedPrefillTokens.AddOrUpdate(worker, delta.PrefillTokens, (_, t) => t + delta.PrefillTokens);
                }

                owner.Released?.Invoke();
            }
        }
    }
}
