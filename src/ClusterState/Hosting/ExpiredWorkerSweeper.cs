using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.ClusterState.Hosting;

/// <summary>
/// Every <c>ClusterState:SweepInterval</c> (on <see cref="TimeProvider"/> time), removes dead workers and their
/// prefix-index entries through <see cref="IWorkerRegistry.RemoveExpiredAsync"/>. Stops with the host.
/// Several routers may sweep at once: the Redis sweep is one atomic script, so they cannot conflict.
/// </summary>
public sealed partial class ExpiredWorkerSweeper(
    IWorkerRegistry registry,
    TimeProvider timeProvider,
    IOptions<ClusterStateOptions> options,
    ILogger<ExpiredWorkerSweeper> logger) : BackgroundService
{
    /// <summary>Raised after each sweep with the number of workers removed (for tests and diagnostics).</summary>
    public event Action<int>? Swept;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, timeProvider);
        LogStarted(logger, options.Value.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                int removed;
                try
                {
                    removed = await registry.RemoveExpiredAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogSweepFailed(logger, e); // a bad record must not stop the host; the next tick tries again
                    continue;
                }

                if (removed > 0)
                {
                    LogSwept(logger, removed);
                }

                Swept?.Invoke(removed);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // host stopping
        }
    }
}
