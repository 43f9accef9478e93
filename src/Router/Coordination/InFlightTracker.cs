using System.Collections.Concurrent;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Routing;

namespace Cluster.Router.Coordination;

/// <summary>
/// This router's own work per worker (<see cref="RouterInFlight"/>), counted from send to finish so that routing reacts
/// between heartbeats. Each Track call returns a lease; disposing it (once) takes the work off and raises
/// <see cref="Released"/>. Thread-safe.
/// </summary>
/// <param name="timeProvider">Stamps finished prefills, to be compared with heartbeats' stamps (the worker's clock).</param>
public sealed class InFlightTracker(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<WorkerId, RouterInFlight> _counts = new();
    private readonly ConcurrentDictionary<WorkerId, FinishedPrefills> _finished = new();
    private readonly TimeProvider _time = timeProvider;

    /// <summary>A tracker on the system clock.</summary>
    public InFlightTracker()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Raised after a lease is released (capacity may have freed up).</summary>
    public event Action? Released;

    /// <summary>What is in flight on <paramref name="worker"/> now.</summary>
    public RouterInFlight Get(WorkerId worker) => _counts.TryGetValue(worker, out var c) ? c : RouterInFlight.None;

    /// <summary>
    /// Prompt tokens of this router's prefills on <paramref name="worker"/> that finished after <paramref name="since"/>
    /// (a heartbeat's stamp), all of them and those of low priority: the heartbeat still counted them as queued. Finishes are remembered for
    /// <see cref="FinishedPrefills.Retention"/>; a stamp older than that counts every finish remembered. The heartbeat is
    /// stamped on the worker's clock: a skew between hosts shifts the boundary by as much (worker ahead: fewer tokens
    /// subtracted, as before this existed; behind: more, bounded below by this router's own in-flight tokens).
    /// </summary>
    public (long Total, long LowPriority) FinishedPrefillTokensSince(WorkerId worker, DateTimeOffset since) =>
        _finished.TryGetValue(worker, out var f) ? f.Since(since) : (0, 0);

    /// <summary>
    /// A prefill of <paramref name="uncachedTokens"/> tokens sent to <paramref name="worker"/> at
    /// <paramref name="priority"/> (a low-priority one counts in <see cref="RouterInFlight.LowPriorityPrefillTokens"/> too).
    /// </summary>
    public IDisposable TrackPrefill(WorkerId worker, long uncachedTokens, RequestPriority priority = RequestPriority.Normal) =>
        Track(worker, new RouterInFlight(1, uncachedTokens, 0, 0, priority == RequestPriority.Low ? uncachedTokens : 0));

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
            (_, c) => new RouterInFlight(
                c.Prefills + (sign * d.Prefills), c.PrefillTokens + (sign * d.PrefillTokens), c.Decodes + (sign * d.Decodes),
                c.ReservedBlocks + (sign * d.ReservedBlocks), c.LowPriorityPrefillTokens + (sign * d.LowPriorityPrefillTokens)));

    private static RouterInFlight Scale(RouterInFlight d, int sign) =>
        new(sign * d.Prefills, sign * d.PrefillTokens, sign * d.Decodes, sign * d.ReservedBlocks, sign * d.LowPriorityPrefillTokens);

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
                    owner._finished.GetOrAdd(worker, _ => new FinishedPrefills()).Add(delta.PrefillTokens, delta.LowPriorityPrefillTokens, owner._time.GetUtcNow());
                }

                owner.Released?.Invoke();
            }
        }
    }

    /// <summary>
    /// One worker's finished prefill tokens: the running totals (all, and low priority) and, for the last
    /// <see cref="Retention"/>, when they grew.
    /// </summary>
    private sealed class FinishedPrefills
    {
        /// <summary>How long finishes are remembered (heartbeats are a second apart; a worker silent for longer is gone).</summary>
        public static readonly TimeSpan Retention = TimeSpan.FromSeconds(30);

        private readonly Queue<(DateTimeOffset At, long Total, long Low)> _history = new();
        private (long Total, long Low) _sum;
        private (long Total, long Low) _forgotten;   // the totals before the oldest remembered finish

        public void Add(long tokens, long lowTokens, DateTimeOffset now)
        {
            lock (_history)
            {
                _sum = (_sum.Total + tokens, _sum.Low + lowTokens);
                _history.Enqueue((now, _sum.Total, _sum.Low));
                while (_history.Count > 1 && now - _history.Peek().At > Retention)
                {
                    var (_, total, low) = _history.Dequeue();
                    _forgotten = (total, low);
                }
            }
        }

        public (long Total, long Low) Since(DateTimeOffset since)
        {
            lock (_history)
            {
                var before = _forgotten;
                foreach (var (at, total, low) in _history)
                {
                    if (at > since) break;
                    before = (total, low);
                }

                return (_sum.Total - before.Total, _sum.Low - before.Low);
            }
        }
    }
}
