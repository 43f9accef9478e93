using Microsoft.Extensions.Options;

namespace Cluster.Router.Coordination;

/// <summary>
/// Admission control (ARCHITECTURE §6): a request that finds no decode worker with headroom waits here, at most
/// <c>Routing:MaxQueuedRequests</c> at once and each at most <c>Routing:QueueTimeout</c>; past either bound it gets
/// RESOURCE_EXHAUSTED with <c>grpc-retry-pushback-ms</c>. Waiters re-check on every capacity change of the pool. A
/// request also waits here when its decode workers refused Reserve with "no room now" (RESOURCE_EXHAUSTED with a
/// pushback trailer); it keeps one place, and one deadline, from entering until it is admitted.
/// </summary>
public sealed class AdmissionQueue
{
    private readonly IOptions<RoutingOptions> _options;
    private readonly TimeProvider _timeProvider;
    private int _waiting;

    public AdmissionQueue(IOptions<RoutingOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _timeProvider = timeProvider;
    }

    /// <summary>Raised with the new count whenever a request enters or leaves the queue.</summary>
    public event Action<int>? WaitingChanged;

    /// <summary>Raised with the reason (<c>queue_full</c>, <c>queue_timeout</c>) when a request is refused.</summary>
    public event Action<string>? Rejected;

    /// <summary>Requests waiting now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>How long a rejected client should wait before retrying.</summary>
    public TimeSpan RetryAfter => TimeSpan.FromMilliseconds(Math.Max(100, 2 * _options.Value.RefreshInterval.TotalMilliseconds));

    /// <summary>Takes a place in the queue, or throws RESOURCE_EXHAUSTED when it is full.</summary>
    public Place Enter(string reason)
    {
        var max = _options.Value.MaxQueuedRequests;
        var waiting = Interlocked.Increment(ref _waiting);
        if (waiting > max)
        {
            Interlocked.Decrement(ref _waiting);
            Rejected?.Invoke("queue_full");
            throw CoordinatorErrors.ResourceExhausted($"Overloaded: {reason}, and the admission queue is full ({max} waiting, Routing:MaxQueuedRequests). Retry later.", RetryAfter);
        }

        WaitingChanged?.Invoke(waiting);
        return new Place(this, _timeProvider.GetUtcNow() + _options.Value.QueueTimeout, reason);
    }

    /// <summary>A place in the queue; dispose it when the request leaves (served or failed).</summary>
    public sealed class Place : IDisposable
    {
        private readonly AdmissionQueue _queue;
        private readonly DateTimeOffset _deadline;
        private int _left;

        internal Place(AdmissionQueue queue, DateTimeOffset deadline, string reason)
        {
            _queue = queue;
            _deadline = deadline;
            Reason = reason;
        }

        /// <summary>Why the request waits now: named in the RESOURCE_EXHAUSTED of a timeout.</summary>
        public string Reason { get; set; }

        /// <summary>Waits for <paramref name="change"/>; throws RESOURCE_EXHAUSTED once the queue timeout has passed.</summary>
        public async Task WaitAsync(Task change, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(change);
            var remaining = _deadline - _queue._timeProvider.GetUtcNow();
            try
            {
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException();
                }

                await change.WaitAsync(remaining, _queue._timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _queue.Rejected?.Invoke("queue_timeout");
                throw CoordinatorErrors.ResourceExhausted($"Overloaded: {Reason} for {_queue._options.Value.QueueTimeout} (Routing:QueueTimeout). Retry later.", _queue.RetryAfter);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                // Not inside ?.Invoke(...): with no subscriber its argument (the decrement) would not run.
                var waiting = Interlocked.Decrement(ref _queue._waiting);
                _queue.WaitingChanged?.Invoke(waiting);
            }
        }
    }
}
