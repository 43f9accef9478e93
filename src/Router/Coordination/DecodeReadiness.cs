using Cluster.ClusterState.Model;
using Cluster.Hosting.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Cluster.Router.Coordination;

/// <summary>
/// Keeps the router's readiness (<c>/readyz</c>, <c>grpc.health.v1</c> overall) false while no worker is live, or while
/// a served model (one with a live worker) has no live, non-suspect decode or colocated worker in the
/// <see cref="WorkerPool"/>: every completion for it would fail then. Re-evaluated at
/// each pool change (refresh, suspicion, finished request).
/// </summary>
public sealed class DecodeReadiness(WorkerPool pool, Readiness readiness) : BackgroundService
{
    private const string Component = "decode-workers";

    /// <summary>Why the router cannot serve now, or null when every served model has a live decode-capable worker.</summary>
    public static string? NotReadyReason(WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (!pool.HasSnapshot)
        {
            return "the live-worker list has not been read yet";
        }

        if (pool.Workers.IsEmpty)
        {
            return "no live worker is registered";
        }

        // Per served model (a model with any live worker): a decode-capable worker (decode or colocated) that is not
        // suspect. It is prefill-capable too (a decode worker prefills locally when no prefill worker is live), so that
        // one condition is the "one prefill-capable and one decode-capable worker per model" of readiness. The prefix
        // index never blocks readiness: without it routing continues on load alone (degraded).
        var missing = pool.Workers
            .GroupBy(w => w.Info.Model)
            .Select(g => (Model: g.Key, Decoders: g.Where(w => w.Info.Role is WorkerRole.Decode or WorkerRole.Colocated).ToList()))
            .Where(m => m.Decoders.All(w => pool.IsSuspect(w.Info.Id)))
            .OrderBy(m => m.Model.Value, StringComparer.Ordinal)
            .Select(m => m.Decoders.Count == 0
                ? $"model '{m.Model}': no live decode or colocated worker is registered (only prefill workers)"
                : $"model '{m.Model}': every decode worker is suspect (refused connections): {string.Join(", ", m.Decoders.Select(w => w.Info.Id.Value))}")
            .ToList();
        return missing.Count == 0 ? null : string.Join("; ", missing);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var change = pool.NextChangeAsync();
            if (NotReadyReason(pool) is { } reason)
            {
                readiness.Block(Component, reason);
            }
            else
            {
                readiness.Unblock(Component);
            }

            await change.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
    }
}
