using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Hosting.HealthChecks;

/// <summary>
/// The host's readiness: SERVING once started, while no component holds a not-ready reason (<see cref="Block"/>), and
/// until it stops. Writes the result as the overall status (<see cref="HealthStatusRegistry.Overall"/>) that
/// <c>grpc.health.v1</c> and <c>/readyz</c> answer. Liveness (<c>/healthz</c>, <c>/livez</c>) does not depend on it. Thread-safe.
/// </summary>
public sealed class Readiness(HealthStatusRegistry registry)
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, string> _blocked = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _degraded = new(StringComparer.Ordinal);
    private bool _started;
    private bool _stopping;

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
            var ready = _started && !_stopping && _blocked.Count == 0;
            if (_stopping)
            {
                registry.SetAllNotServing();
            }
            else
            {
                registry.SetStatus(HealthStatusRegistry.Overall, ready ? ServingStatus.Serving : ServingStatus.NotServing);
            }
        }
    }
}
