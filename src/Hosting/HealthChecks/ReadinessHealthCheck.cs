using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cluster.Hosting.HealthChecks;

/// <summary>
/// <see cref="Readiness"/> as an ASP.NET Core health check, the one source of <c>/readyz</c> and <c>grpc.health.v1</c>:
/// Healthy when ready, Degraded (still ready: gRPC SERVING, <c>/readyz</c> 200) with the note when a component works
/// degraded, Unhealthy (NOT_SERVING, 503) with the reason otherwise.
/// </summary>
public sealed class ReadinessHealthCheck(Readiness readiness) : IHealthCheck
{
    /// <summary>The check's registration name.</summary>
    public const string Name = "readiness";

    /// <summary>The tag <c>/readyz</c> selects checks by.</summary>
    public const string ReadyTag = "ready";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!readiness.Ready)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(readiness.Reason is { Length: > 0 } reason ? reason : "not ready"));
        }

        return Task.FromResult(readiness.Degraded is { Length: > 0 } note ? HealthCheckResult.Degraded(note) : HealthCheckResult.Healthy());
    }
}
