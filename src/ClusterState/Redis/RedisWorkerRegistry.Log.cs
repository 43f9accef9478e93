using Cluster.ClusterState.Model;
using Cluster.Core.Ids;
using Microsoft.Extensions.Logging;

namespace Cluster.ClusterState.Redis;

public sealed partial class RedisWorkerRegistry
{
    [LoggerMessage(EventId = 3120, Level = LogLevel.Information, Message = "Worker {Worker} registered: {Role} for {Model}, heartbeat TTL {Ttl}")]
    private static partial void LogRegistered(ILogger logger, WorkerId worker, WorkerRole role, ModelId model, TimeSpan ttl);

    [LoggerMessage(EventId = 3121, Level = LogLevel.Information, Message = "Worker {Worker} deregistered; its prefix-index entries are gone")]
    private static partial void LogDeregistered(ILogger logger, WorkerId worker);

    [LoggerMessage(EventId = 3122, Level = LogLevel.Warning, Message = "Worker {Worker} missed its heartbeat TTL: removed with its prefix-index entries")]
    private static partial void LogExpired(ILogger logger, string worker);
}
