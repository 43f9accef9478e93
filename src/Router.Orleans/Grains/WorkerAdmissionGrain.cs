namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// <see cref="IWorkerAdmissionGrain"/>: admissions in memory, keyed by request id. Expired leases are dropped at the
/// start of every call (no timer). The state is soft: when the silo holding the grain dies, the grain reactivates
/// empty elsewhere and each router's next renewal re-seeds its live admissions (within a third of the lease); until
/// then it undercounts, and the worker's own Reserve check stays the last guard against overbooking (ARCHITECTURE §6).
/// It also holds each router's last prefill report (<see cref="ExchangeLoadAsync"/>), which lapses after the report's TTL.
/// </summary>
public sealed class WorkerAdmissionGrain(TimeProvider time) : Grain, IWorkerAdmissionGrain
{
    private readonly Dictionary<string, Admission> _admitted = new(StringComparer.Ordinal);
    private readonly HashSet<string> _renewedRouters = new(StringComparer.Ordinal); // routers whose live set this activation has seen
    private readonly Dictionary<string, PrefillShare> _prefills = new(StringComparer.Ordinal); // router id → its last report
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

    public Task<int> RenewAsync(AdmissionRenewal renewal)
    {
        ArgumentNullException.ThrowIfNull(renewal);
        var now = time.GetUtcNow();
        DropExpired(now);
        var until = now + renewal.Lease;
        var reseed = _renewedRouters.Add(renewal.RouterId);
        var reseeded = 0;
        foreach (var live in renewal.Live)
        {
            if (_admitted.TryGetValue(live.RequestId, out var held))
            {
                if (held.RouterId == renewal.RouterId)
                {
                    _admitted[live.RequestId] = held with { ExpiresAt = until };
                }
            }
            else if (reseed)
            {
                // Real work on the worker that this activation never saw: counted even past capacity (it is running).
                _admitted[live.RequestId] = new Admission(renewal.RouterId, live.Blocks, until);
                _blocks += live.Blocks;
                reseeded++;
            }
        }

        return Task.FromResult(reseeded);
    }

    public Task<WorkerLoadShare> GetOtherRoutersLoadAsync(string routerId) => Task.FromResult(OthersThan(routerId, time.GetUtcNow()));

    public Task<WorkerLoadShare> ExchangeLoadAsync(PrefillLoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var now = time.GetUtcNow();
        if (report.Prefills > 0 || report.PrefillTokens > 0)
        {
            _prefills[report.RouterId] = new PrefillShare(report.Prefills, report.PrefillTokens, report.LowPriorityPrefillTokens, now + report.Ttl);
        }
        else
        {
            _prefills.Remove(report.RouterId); // nothing in flight: no entry to keep
        }

        return Task.FromResult(OthersThan(report.RouterId, now));
    }

    private WorkerLoadShare OthersThan(string routerId, DateTimeOffset now)
    {
        DropExpired(now);
        var (requests, blocks) = (0, 0);
        foreach (var admission in _admitted.Values)
        {
            if (admission.RouterId != routerId)
            {
                requests++;
                blocks += admission.Blocks;
            }
        }

        var (prefills, tokens, lowTokens) = (0, 0L, 0L);
        foreach (var (router, share) in _prefills)
        {
            if (share.ExpiresAt <= now)
            {
                _prefills.Remove(router); // a router that stopped reporting (dead or cut off)
            }
            else if (router != routerId)
            {
                prefills += share.Prefills;
                tokens += share.Tokens;
                lowTokens += share.LowTokens;
            }
        }

        return new WorkerLoadShare(requests, blocks, prefills, tokens, lowTokens);
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

    private sealed record PrefillShare(int Prefills, long Tokens, long LowTokens, DateTimeOffset ExpiresAt);
}
