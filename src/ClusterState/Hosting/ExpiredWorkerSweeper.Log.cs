using Microsoft.Extensions.Logging;

namespace Cluster.ClusterState.Hosting;

public sealed partial class ExpiredWorkerSweeper
{
    [LoggerMessage(EventId = 3130, Level = LogLevel.Information, Message = "Expired-worker sweeper started, every {Interval}")]
    private static partial void LogStarted(ILogger logger, TimeSpan interval);

    [LoggerMessage(EventId = 3131, Level = LogLevel.Information, Message = "Removed {Count} dead workers and their prefix-index entries")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 3132, Level = LogLevel.Error, Message = "Sweeping expired workers failed; retrying on the next tick")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
