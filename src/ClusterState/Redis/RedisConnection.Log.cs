using Microsoft.Extensions.Logging;

namespace Cluster.ClusterState.Redis;

public sealed partial class RedisConnection
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Redis unavailable (operation {Operation}): lookups answer no overlap, event batches ask for resync, registry reads serve the last snapshot")]
    private static partial void LogUnavailable(ILogger logger, string operation, Exception exception);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Redis available again: workers re-sync on their next batch or heartbeat")]
    private static partial void LogAvailableAgain(ILogger logger);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Redis call {Operation} failed: {Error}")]
    private static partial void LogCallFailed(ILogger logger, string operation, string error);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed ({FailureType}); reconnecting in the background")]
    private static partial void LogConnectionFailed(ILogger logger, string endPoint, string failureType);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored")]
    private static partial void LogConnectionRestored(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Redis at {EndPoints} is not reachable at start-up; running degraded until it is")]
    private static partial void LogNotConnectedAtStart(ILogger logger, string endPoints);
}
