using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Torch;

namespace Cluster.Engine.Serving;

public sealed partial class InferenceEngine
{
    private readonly Dictionary<RequestId, int> _exports = [];   // prefill role: request → prompt tokens kept

    /// <summary>Prompt tokens whose KV the prefill-role engine keeps for <paramref name="id"/>, or null.</summary>
    public int? ExportableTokens(RequestId id)
    {
        lock (_sync) return _exports.TryGetValue(id, out var tokens) ? tokens : null;
    }

    /// <summary>
    /// Copies layers [<paramref name="layerStart"/>, +count) × the request's blocks [<paramref name="blockStart"/>, +count)
    /// (positions in its block table) into <paramref name="destination"/>, in the layout of <see cref="Storage"/>.
    /// </summary>
    public void ExportKv(RequestId id, int layerStart, int layerCount, int blockStart, int blockCount, Span<byte> destination)
    {
        lock (_sync) Storage.Export(Storage.Layout, layerStart, layerCount, ExportBlocks(id, blockStart, blockCount), destination);
    }

    /// <summary>
    /// <see cref="ExportKv(RequestId, int, int, int, int, Span{byte})"/> into bytes [0, n) of <paramref name="staging"/>
    /// (pinned host memory on CUDA: one gather and one device→host copy); returns n.
    /// </summary>
    public int ExportKvStaged(RequestId id, int layerStart, int layerCount, int blockStart, int blockCount, HostStaging staging)
    {
        lock (_sync) return Storage.Export(Storage.Layout, layerStart, layerCount, ExportBlocks(id, blockStart, blockCount), staging);
    }

    // The request's blocks [blockStart, +blockCount), positions in its block table; call under _sync.
    private List<KvBlockId> ExportBlocks(RequestId id, int blockStart, int blockCount)
    {
        if (!_exports.ContainsKey(id)) throw new InvalidOperationException($"Request {id} has no KV kept for export (prefill role, before ReleaseKv).");
        var blocks = Kv.GetBlocks(id);
        if (blockStart < 0 || blockCount < 1 || blockStart + blockCount > blocks.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(blockCount), $"Blocks [{blockStart}, +{blockCount}) are outside the request's {blocks.Count}.");
        }
        return [.. blocks.Skip(blockStart).Take(blockCount)];
    }

    /// <summary>Frees the KV kept for export (sent, or given up). Idempotent.</summary>
    public void ReleaseKv(RequestId id)
    {
        lock (_sync)
        {
            if (_exports.Remove(id)) Kv.Free(id);
        }
        Wake();
    }

    /// <summary>The prefix-cache events since the last call, numbered without gaps (for the cluster's prefix index). Thread-safe.</summary>
    public IReadOnlyList<KvCacheEvent> DrainKvEvents()
    {
        lock (_sync) return Kv.Pool.DrainEvents();
    }

    /// <summary>Every cached block hash and the number of the last event it reflects (a full re-publish). Thread-safe.</summary>
    public (IReadOnlyCollection<BlockHash> Hashes, long LastEventSequence) KvCacheSnapshot()
    {
        lock (_sync) return (Kv.Pool.CachedHashes(), Kv.Pool.LastEventSequence);
    }
}
