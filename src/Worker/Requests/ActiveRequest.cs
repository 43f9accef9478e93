using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;

namespace Cluster.Worker.Requests;

/// <summary>
/// A Prefill or Decode call in flight on this worker. Its <see cref="Token"/> fires when the caller cancels (or its
/// deadline passes), when <c>Cancel</c> names it, or when the drain timeout expires. Disposing ends it.
/// </summary>
internal sealed class ActiveRequest : IDisposable
{
    private readonly WorkerRequests _owner;
    private readonly CancellationTokenSource _cancellation;
    private int _started;

    internal ActiveRequest(WorkerRequests owner, RequestId id, int promptTokens, EnginePriority priority, CancellationToken callToken, CancellationToken drainExpired)
    {
        _owner = owner;
        Id = id;
        PromptTokens = promptTokens;
        Priority = priority;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(callToken, drainExpired);
        DrainExpired = drainExpired;
    }

    public RequestId Id { get; }

    /// <summary>Prompt tokens (+ generated before) given to the engine: computed or found in its prefix cache.</summary>
    public int PromptTokens { get; }

    /// <summary>The request's priority (its queued tokens count as normal or low in the heartbeat).</summary>
    public EnginePriority Priority { get; }

    /// <summary>
    /// Tokens of <see cref="PromptTokens"/> the engine found in its prefix cache once it admitted the request (0 before
    /// admission or without an engine request); set by <see cref="Watch"/>.
    /// </summary>
    public int CachedTokens => _cached?.Invoke() ?? 0;

    /// <summary>Tokens the engine still has to compute before the first token, as far as known: the prompt less its cached prefix.</summary>
    public int UncachedTokens => Math.Max(0, PromptTokens - CachedTokens);

    /// <summary>Reads the engine's cached-prefix count for this request (e.g. <c>() => handle.CachedInputTokens</c>).</summary>
    public void Watch(Func<int> cachedTokens) => _cached = cachedTokens;

    private volatile Func<int>? _cached;

    public CancellationToken Token => _cancellation.Token;

    /// <summary>The worker's drain timeout (tells a shutdown apart from a caller's cancellation).</summary>
    public CancellationToken DrainExpired { get; }

    /// <summary>The request has its first token (it counts as running, not waiting).</summary>
    public bool Started => Volatile.Read(ref _started) == 1;

    public void MarkStarted() => Volatile.Write(ref _started, 1);

    /// <summary>Cancels the request (the <c>Cancel</c> RPC).</summary>
    public void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Ended meanwhile.
        }
    }

    public void Dispose()
    {
        _owner.End(this);
        _cancellation.Dispose();
    }
}
