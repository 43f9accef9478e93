using System.Threading.Channels;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.HealthChecks;

/// <summary>
/// Runs the health checks and hands the report to every <see cref="IHealthCheckPublisher"/> (Grpc.AspNetCore.HealthChecks'
/// publisher, which feeds <c>Watch</c>) each time <see cref="Readiness"/> changes, instead of only every
/// <see cref="HealthCheckPublisherOptions.Period"/>. Changes that come while a publish runs are coalesced into one more
/// publish after it, which reads the state then, so the last publish always reflects the last change.
/// </summary>
internal sealed class ReadinessPublisher(
    Readiness readiness,
    HealthCheckService checks,
    IEnumerable<IHealthCheckPublisher> publishers,
    IOptions<HealthCheckPublisherOptions> options) : BackgroundService
{
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        readiness.Changed += OnChanged;
        try
        {
            await foreach (var _ in _changed.Reader.ReadAllAsync(stoppingToken))
            {
                var report = await checks.CheckHealthAsync(options.Value.Predicate, stoppingToken);
                foreach (var publisher in publishers)
                {
                    await publisher.PublishAsync(report, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // host stopped
        }
        finally
        {
            readiness.Changed -= OnChanged;
        }
    }

    private void OnChanged() => _changed.Writer.TryWrite(true);
}
