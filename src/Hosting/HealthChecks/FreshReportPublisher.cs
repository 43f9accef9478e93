using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.HealthChecks;

/// <summary>
/// Wraps a health-check publisher (Grpc.AspNetCore.HealthChecks', which feeds <c>Watch</c>) so that publishes are one at a
/// time and each hands on a report run under that lock, not the report it was given. Two publishers run the checks (the
/// periodic one and <see cref="ReadinessPublisher"/>); without this, a periodic report taken just before a change could
/// be published just after it and undo it on every <c>Watch</c> until the next period.
/// </summary>
public sealed class FreshReportPublisher(IHealthCheckPublisher inner, HealthCheckService checks, IOptions<HealthCheckPublisherOptions> options) : IHealthCheckPublisher, IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>The wrapped publisher.</summary>
    public IHealthCheckPublisher Inner => inner;

    /// <inheritdoc />
    public async Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var fresh = await checks.CheckHealthAsync(options.Value.Predicate, cancellationToken).ConfigureAwait(false);
            await inner.PublishAsync(fresh, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _one.Dispose();
}
