namespace Cluster.Hosting.HealthChecks;

/// <summary>
/// The host's readiness: SERVING once started, while no component holds a not-ready reason (<see cref="Block"/>), and
/// until it stops. <see cref="ReadinessHealthCheck"/> reports it to ASP.NET Core health checks, which <c>/readyz</c> and
/// <c>grpc.health.v1</c> (Grpc.AspNetCore.HealthChecks) answer from; <see cref="Changed"/> lets <see cref="ReadinessPublisher"/>
/// publish each change at once. Liveness (<c>/healthz</c>, <c>/livez</c>) does not depend on it. Thread-safe.
/// </summary>
public sealed class Readiness
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, string> _blocked = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _degraded = new(StringComparer.Ordinal);
    private bool _started;
    private bool _stopping;

    /// <summary>Raised after every change of <see cref="Ready"/>'s inputs (outside the lock; handlers must not block).</summary>
    public event Action? Changed;

    /// <summary>True once started, while no component blocks it, and until it stops.</summary>
    public bool Ready
    {
        get
        {
            lock (_lock)
            {
                return _started && !_stopping && _blocked.Count == 0;
            }
        }
    }

    /// <summary>Why the host is not ready (empty when ready).</summary>
    public string Reason
    {
        get
        {
            lock (_lock)
            {
                return !_started ? "starting" : _stopping ? "stopping" : string.Join("; ", _blocked.Values);
            }
        }
    }

    /// <summary>What works in a degraded way (empty when nothing): shown by <c>/readyz</c>, never blocking readiness.</summary>
    public string Degraded
    {
        get
        {
            lock (_lock)
            {
                return string.Join("; ", _degraded.Values);
            }
        }
    }

    /// <summary>True while the process runs and is not stopping (liveness).</summary>
    public bool Live
    {
        get
        {
            lock (_lock)
            {
                return !_stopping;
            }
        }
    }

    /// <summary>Marks the host not ready for <paramref name="component"/>, saying why; replaces its earlier reason.</summary>
    public void Block(string component, string reason) => Update(() => _blocked[component] = reason);

    /// <summary>Lifts <paramref name="component"/>'s reason.</summary>
    public void Unblock(string component) => Update(() => _blocked.Remove(component));

    /// <summary>Notes that <paramref name="component"/> works degraded, saying how; the host stays ready.</summary>
    public void Degrade(string component, string note)
    {
        lock (_lock)
        {
            _degraded[component] = note;
        }
    }

    /// <summary>Lifts <paramref name="component"/>'s degradation.</summary>
    public void Restore(string component)
    {
        lock (_lock)
        {
            _degraded.Remove(component);
        }
    }

    internal void Started() => Update(() => _started = true);

    internal void Stopping() => Update(() => _stopping = true);

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
        }

        Changed?.Invoke();
    }
}
