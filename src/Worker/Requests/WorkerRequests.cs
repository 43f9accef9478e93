using System.Collections.Concurrent;
using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;

namespace Cluster.Worker.Requests;

/// <summary>
/// The requests in flight on this worker (load for heartbeats and Status, targets of Cancel, the drain's wait) and
/// prompt token counters. Thread-safe. (The advertised prefill rate is <see cref="PrefillRateMeter"/>'s.)
/// </summary>
internal sealed class WorkerRequests(WorkerDrain drain)
{
    private readonly ConcurrentDictionary<RequestId, ActiveRequest> _active = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _computedPromptTokens;
    private long _cachedPromptTokens;

    public int Count => _active.Count;

    public int Running => _active.Values.Count(r => r.Started);

    public int Waiting => _active.Values.Count(r => !r.Started);

    /// <summary>
    /// Prompt tokens still to compute for requests that have not produced their first token yet: a request the engine
    /// admitted counts without the prefix it found cached (the router divides this by a rate of computed tokens; counting
    /// a cache hit's whole prompt made the worker holding a prefix look many times more loaded than it was, so routing
    /// herded its requests onto the other worker, which had to recompute the prefix).
    /// </summary>
    public long QueuedPrefillTokens => QueuedPrefill().Total;

    /// <summary>
    /// The heartbeat's queue: <see cref="QueuedPrefillTokens"/> (every priority) and its part of
    /// <see cref="EnginePriority.Low"/> requests (offline batches; the engine admits normal requests first, so the router
    /// leaves these out of an online request's wait), from one pass so the low part never exceeds the total.
    /// </summary>
    public (long Total, long Low) QueuedPrefill()
    {
        var (total, low) = (0L, 0L);
        foreach (var request in _active.Values)
        {
            if (request.Started) continue;
            var tokens = (long)request.UncachedTokens;
            total += tokens;
            if (request.Priority == EnginePriority.Low) low += tokens;
        }

        return (total, low);
    }

    public long ComputedPromptTokens => Interlocked.Read(ref _computedPromptTokens);

    public long CachedPromptTokens => Interlocked.Read(ref _cachedPromptTokens);

    /// <summary>Tracks a new request; null when a request with this id is already in flight here.</summary>
    public ActiveRequest? TryBegin(RequestId id, int promptTokens, CancellationToken callToken, EnginePriority priority = EnginePriority.Normal)
    {
        var request = new ActiveRequest(this, id, promptTokens, priority, callToken, drain.Expired);
        if (_active.TryAdd(id, request)) return request;
        request.Dispose();
        return null;
    }

    /// <summary>Cancels the request if it is in flight here.</summary>
    public bool TryCancel(RequestId id)
    {
        if (!_active.TryGetValue(id, out var request)) return false;
        request.Cancel();
        return true;
    }

    /// <summary>Records a prompt's prefill: <paramref name="computed"/> tokens run, <paramref name="cached"/> found cached.</summary>
    public void RecordPrefill(int computed, int cached)
    {
        Interlocked.Add(ref _computedPromptTokens, computed);
        Interlocked.Add(ref _cachedPromptTokens, cached);
    }

    /// <summary>Completes when no request is in flight.</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate) changed = _changed.Task;
            if (_active.IsEmpty) return;
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal void End(ActiveRequest request)
    {
        if (!_active.TryRemove(new KeyValuePair<RequestId, ActiveRequest>(request.Id, request))) return;
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }
}
