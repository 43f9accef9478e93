namespace Cluster.Worker.State;

/// <summary>
/// Shared between registration and the KV event publisher: a flag the registration raises (registered anew, so the
/// index may have dropped this worker) and the publisher clears by re-publishing, and the last published event number.
/// </summary>
internal sealed class KvIndexResync
{
    private int _requested = 1;   // the first publish is always a full one
    private long _lastPublished;

    /// <summary>The number of the last engine KV event the prefix index reflects.</summary>
    public long LastPublished
    {
        get => Interlocked.Read(ref _lastPublished);
        set => Interlocked.Exchange(ref _lastPublished, value);
    }

    public void Request() => Volatile.Write(ref _requested, 1);

    /// <summary>True (once) when a full re-publish was asked for.</summary>
    public bool Take() => Interlocked.Exchange(ref _requested, 0) == 1;
}
