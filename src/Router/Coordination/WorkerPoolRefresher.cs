using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Coordination;

/// <summary>Refreshes <see cref="WorkerPool"/> at start and every <c>Routing:RefreshInterval</c> on <see cref="TimeProvider"/> time.</summary>
public sealed partial class WorkerPoolRefresher(
    WorkerPool pool,
    TimeProvider timeProvider,
    IOptions<RoutingOptions> options,
    ILogger<WorkerPoolRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, timeProvider);
        try
        {
            do
            {
                try
                {
                    await pool.RefreshAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRefreshFailed(logger, e); // the registry never throws for an outage; keep the last snapshot
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // host stopping
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the live-worker snapshot failed; routing keeps the previous one")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
