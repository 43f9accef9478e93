using Cluster.ClusterState.Model;
using Cluster.Hosting.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Cluster.Router.Coordination;

/// <summary>
/// Keeps the router's readiness (<c>/readyz</c>, <c>grpc.health.v1</c> overall) false while no live, non-suspect
/// decode or colocated worker is in the <see cref="WorkerPool"/>: every completion would fail then. Re-evaluated at
/// each pool change (refresh, suspicion, finished request).
/// </summary>
public sealed class DecodeReadiness(WorkerPool pool, Readiness readiness) : BackgroundService
{
    private const string Component = "decode-workers";

    /// <summary>Why the router cannot serve now, or null when a decode-capable worker is live.</summary>
    public static string? NotReadyReason(WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (!pool.HasSnapshot)
        {
            return "the live-worker list has not been read yet";
        }

        var decoders = pool.Workers.Where(w => w.Info.Role is WorkerRole.Decode or WorkerRole.Colocated).ToList();
        if (decoders.Count == 0)
        {
            return pool.Workers.IsEmpty
                ? "no live worker is registered"
                : "no live decode or colocated worker is registered (only prefill workers)";
        }

        return decoders.All(w => pool.IsSuspect(w.Info.Id))
            ? $"every decode worker is suspect (refused connections): {string.Join(", ", decoders.Select(w => w.Info.Id.Value))}"
            : null;
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
