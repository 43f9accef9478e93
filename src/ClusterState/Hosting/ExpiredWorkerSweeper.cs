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
                var removed = await registry.RemoveExpiredAsync(stoppingToken).ConfigureAwait(false);
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

    [LoggerMessage(EventId = 3130, Level = LogLevel.Information, Message = "Expired-worker sweeper started, every {Interval}")]
    private static partial void LogStarted(ILogger logger, TimeSpan interval);

    [LoggerMessage(EventId = 3131, Level = LogLevel.Information, Message = "Removed {Count} dead workers and their prefix-index entries")]
    private static partial void LogSwept(ILogger logger, int count);
}
