using Cluster.Core.Ids;

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

    internal ActiveRequest(WorkerRequests owner, RequestId id, int promptTokens, CancellationToken callToken, CancellationToken drainExpired)
    {
        _owner = owner;
        Id = id;
        PromptTokens = promptTokens;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(callToken, drainExpired);
        DrainExpired = drainExpired;
    }

    public RequestId Id { get; }

    /// <summary>Prompt tokens the engine has to compute before the first token (0 after it).</summary>
    public int PromptTokens { get; }

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
