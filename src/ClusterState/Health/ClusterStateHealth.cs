namespace Cluster.ClusterState.Health;

/// <summary>
/// The health signal of cluster state: whether Redis answered the last call. Both Redis implementations report every
/// call's result here; routers and /healthz read it. Thread-safe.
/// </summary>
public sealed class ClusterStateHealth
{
    private readonly TimeProvider _timeProvider;
    private int _status;
    private long _changedAtTicks;
    private string? _lastError;

    public ClusterStateHealth(TimeProvider timeProvider, bool embedded)
    {
        _timeProvider = timeProvider;
        _status = (int)(embedded ? ClusterStateStatus.Embedded : ClusterStateStatus.Available);
        _changedAtTicks = timeProvider.GetUtcNow().UtcTicks;
    }

    /// <summary>Current status.</summary>
    public ClusterStateStatus Status => (ClusterStateStatus)Volatile.Read(ref _status);

    /// <summary>False only while Redis is configured and unreachable.</summary>
    public bool IsAvailable => Status != ClusterStateStatus.Unavailable;

    /// <summary>When <see cref="Status"/> last changed.</summary>
    public DateTimeOffset Since => new(Interlocked.Read(ref _changedAtTicks), TimeSpan.Zero);

    /// <summary>The error that made Redis unavailable, if it is.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>Records a successful call; true when this ends an outage.</summary>
    public bool ReportSuccess() => Transition(ClusterStateStatus.Available, null);

    /// <summary>Records a failed call; true when this starts an outage.</summary>
    public bool ReportFailure(string error) => Transition(ClusterStateStatus.Unavailable, error);

    private bool Transition(ClusterStateStatus to, string? error)
    {
        if (error is not null)
        {
            Volatile.Write(ref _lastError, error);
        }

        var from = (ClusterStateStatus)Volatile.Read(ref _status);
        if (from == to || from == ClusterStateStatus.Embedded)
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _status, (int)to, (int)from) != (int)from)
        {
            return false;
        }

        Interlocked.Exchange(ref _changedAtTicks, _timeProvider.GetUtcNow().UtcTicks);
        if (to == ClusterStateStatus.Available)
        {
            Volatile.Write(ref _lastError, null);
        }

        return true;
    }
}
