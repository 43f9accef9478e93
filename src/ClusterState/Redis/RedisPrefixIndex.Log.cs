using Cluster.Core.Ids;
using Microsoft.Extensions.Logging;

namespace Cluster.ClusterState.Redis;

public sealed partial class RedisPrefixIndex
{
    [LoggerMessage(EventId = 3110, Level = LogLevel.Information, Message = "KV events of worker {Worker} for {Model}: last applied {LastApplied}, batch starts at {FirstSequence}; asking for a resync")]
    private static partial void LogSequenceGap(ILogger logger, WorkerId worker, ModelId model, long lastApplied, long firstSequence);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Debug, Message = "KV events {FirstSequence}..{LastSequence} of worker {Worker} dropped (Redis unavailable); resync required")]
    private static partial void LogBatchDropped(ILogger logger, WorkerId worker, long firstSequence, long lastSequence);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Information, Message = "Prefix index re-synced for worker {Worker}, model {Model}: {Blocks} blocks, sequence {LastSequence}")]
    private static partial void LogReplacedAll(ILogger logger, WorkerId worker, ModelId model, int blocks, long lastSequence);
}
