using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cluster.ClusterState.Health;

/// <summary>Reports cluster state as Degraded (not Unhealthy) while Redis is unreachable: routing goes on without the index.</summary>
public sealed class ClusterStateHealthCheck(ClusterStateHealth health) : IHealthCheck
{
    /// <summary>Name under which <see cref="ClusterStateServiceCollectionExtensions.AddClusterState"/> registers it.</summary>
    public const string Name = "cluster-state";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = health.Status switch
        {
            ClusterStateStatus.Embedded => HealthCheckResult.Healthy("cluster state is in-process (no Redis configured)"),
            ClusterStateStatus.Available => HealthCheckResult.Healthy("Redis reachable"),
            _ => HealthCheckResult.Degraded($"Redis unreachable since {health.Since:O}: routing on load alone ({health.LastError})"),
        };
        return Task.FromResult(result);
    }
}
