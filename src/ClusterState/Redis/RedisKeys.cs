using Cluster.Core.Hashing;
using Cluster.Core.Ids;

namespace Cluster.ClusterState.Redis;

/// <summary>The Redis key layout of README.md, under a configurable prefix (default <c>cl:</c>).</summary>
public sealed class RedisKeys(string prefix)
{
    /// <summary>The prefix every key starts with.</summary>
    public string Prefix { get; } = prefix;

    /// <summary><c>{prefix}workers</c>: HASH worker id → JSON record (info, load, last heartbeat, TTL).</summary>
    public string Workers { get; } = prefix + "workers";

    /// <summary><c>{prefix}hb:</c>, the start of every heartbeat key.</summary>
    public string HeartbeatPrefix { get; } = prefix + "hb:";

    /// <summary><c>{prefix}hb:{worker}</c>: the worker's heartbeat; value = TTL in ms, expires after it.</summary>
    public string Heartbeat(WorkerId worker) => HeartbeatPrefix + worker.Value;

    /// <summary><c>{prefix}{model}:blk:</c>, the start of the model's block keys.</summary>
    public string BlockPrefix(ModelId model) => Prefix + model.Value + ":blk:";

    /// <summary><c>{prefix}{model}:blk:{hash:x16}</c>: SET of the ids of workers holding the block.</summary>
    public string Block(ModelId model, BlockHash block) => BlockPrefix(model) + block.ToString();

    /// <summary><c>{prefix}{model}:wrk:</c>, the start of the model's per-worker block sets.</summary>
    public string WorkerBlocksPrefix(ModelId model) => Prefix + model.Value + ":wrk:";

    /// <summary><c>{prefix}{model}:wrk:{worker}</c>: SET of the hashes (x16) of the blocks the worker holds.</summary>
    public string WorkerBlocks(ModelId model, WorkerId worker) => WorkerBlocksPrefix(model) + worker.Value;

    /// <summary><c>{prefix}{model}:seq:{worker}</c>: STRING, the last KV event sequence number applied for the worker.</summary>
    public string Sequence(ModelId model, WorkerId worker) => Prefix + model.Value + ":seq:" + worker.Value;
}
