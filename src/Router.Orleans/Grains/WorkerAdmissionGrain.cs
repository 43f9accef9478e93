namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// <see cref="IWorkerAdmissionGrain"/>: admissions in memory, keyed by request id. Expired leases are dropped at the
/// start of every call (no timer). The state is soft: when the silo holding the grain dies, the grain reactivates
/// empty elsewhere, so it undercounts until the running requests end; the worker's own Reserve check stays the last
/// guard against overbooking (ARCHITECTURE §6).
/// </summary>
public sealed class WorkerAdmissionGrain(TimeProvider time) : Grain, IWorkerAdmissionGrain
{
    private readonly Dictionary<string, Admission> _admitted = new(StringComparer.Ordinal);
    private int _blocks;

    public Task<AdmissionDecision> TryAdmitAsync(AdmissionRequest admission)
    {
        ArgumentNullException.ThrowIfNull(admission);
        var now = time.GetUtcNow();
        DropExpired(now);
        Remove(admission.RequestId); // the same request again (a retry on this worker): its old place goes first
        if (admission.MaxBatch > 0 && _admitted.Count >= admission.MaxBatch)
        {
            return Task.FromResult(Decision(false, $"{_admitted.Count} of {admission.MaxBatch} batch slots admitted"));
        }

        if (admission.TotalKvBlocks > 0 && _blocks + admission.Blocks > admission.TotalKvBlocks)
        {
            return Task.FromResult(Decision(false, $"{_blocks} of {admission.TotalKvBlocks} KV blocks admitted, {admission.Blocks} more needed"));
        }

        _admitted[admission.RequestId] = new Admission(admission.RouterId, admission.Blocks, now + admission.Lease);
        _blocks += admission.Blocks;
        return Task.FromResult(Decision(true, ""));
    }

    public Task ReleaseAsync(string requestId)
    {
        Remove(requestId);
        return Task.CompletedTask;
    }

    public Task RenewAsync(string routerId, TimeSpan lease)
    {
        var until = time.GetUtcNow() + lease;
        foreach (var (id, admission) in _admitted.ToList())
        {
            if (admission.RouterId == routerId)
            {
                _admitted[id] = admission with { ExpiresAt = until };
            }
        }

        return Task.CompletedTask;
    }

    public Task<AdmissionDecision> GetLoadAsync()
    {
        DropExpired(time.GetUtcNow());
        return Task.FromResult(Decision(true, ""));
    }

    private AdmissionDecision Decision(bool admitted, string reason) => new(admitted, _admitted.Count, _blocks, reason);

    private void DropExpired(DateTimeOffset now)
    {
        foreach (var (id, admission) in _admitted)
        {
            if (admission.ExpiresAt <= now)
            {
                Remove(id);
            }
        }
    }

    private void Remove(string requestId)
    {
        if (_admitted.Remove(requestId, out var old))
        {
            _blocks -= old.Blocks;
        }
    }

    private sealed record Admission(string RouterId, int Blocks, DateTimeOffset ExpiresAt);
}
