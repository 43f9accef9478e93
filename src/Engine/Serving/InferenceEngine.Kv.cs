using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Torch;

namespace Cluster.Engine.Serving;

public sealed partial class InferenceEngine
{
    private readonly Dictionary<RequestId, KeptExport> _exports = [];   // prefill role, guarded by _sync

    /// <summary>Prompt tokens whose KV the prefill-role engine keeps for <paramref name="id"/>, or null.</summary>
    public int? ExportableTokens(RequestId id)
    {
        lock (_sync) return _exports.TryGetValue(id, out var kept) && !kept.Released ? kept.Tokens : null;
    }

    /// <summary>
    /// Copies layers [<paramref name="layerStart"/>, +count) × the request's blocks [<paramref name="blockStart"/>, +count)
    /// (positions in its block table) into <paramref name="destination"/>, in the layout of <see cref="Storage"/>.
    /// Never waits for a step (the kept KV was completed by a finished step; the copy holds no lock).
    /// </summary>
    public void ExportKv(RequestId id, int layerStart, int layerCount, int blockStart, int blockCount, Span<byte> destination)
    {
        var blocks = BeginExport(id, blockStart, blockCount);
        try
        {
            Storage.Export(Storage.Layout, layerStart, layerCount, blocks, destination, StreamOrder.Independent);
        }
        finally
        {
            EndExport(id);
        }
    }

    /// <summary>
    /// <see cref="ExportKv(RequestId, int, int, int, int, Span{byte})"/> into bytes [0, n) of <paramref name="staging"/>
    /// (pinned host memory on CUDA: one gather and one device→host copy); returns n.
    /// </summary>
    public int ExportKvStaged(RequestId id, int layerStart, int layerCount, int blockStart, int blockCount, HostStaging staging)
    {
        var blocks = BeginExport(id, blockStart, blockCount);
        try
        {
            return Storage.Export(Storage.Layout, layerStart, layerCount, blocks, staging, StreamOrder.Independent);
        }
        finally
        {
            EndExport(id);
        }
    }

    /// <summary>
    /// <see cref="ExportKv(RequestId, int, int, int, int, Span{byte})"/> device to device into <paramref name="destination"/>
    /// from byte <paramref name="offset"/> (a CUDA IPC ring slot); returns the byte count.
    /// </summary>
    public long ExportKvToDevice(RequestId id, int layerStart, int layerCount, int blockStart, int blockCount, CudaIpcMemory destination, long offset)
    {
        var blocks = BeginExport(id, blockStart, blockCount);
        try
        {
            return Storage.Export(Storage.Layout, layerStart, layerCount, blocks, destination, offset);
        }
        finally
        {
            EndExport(id);
        }
    }

    // The request's blocks [blockStart, +blockCount), positions in its block table; counts a copy in progress, so that a
    // ReleaseKv meanwhile frees the blocks only once the copy is done.
    private List<KvBlockId> BeginExport(RequestId id, int blockStart, int blockCount)
    {
        lock (_sync)
        {
            if (!_exports.TryGetValue(id, out var kept) || kept.Released) throw new InvalidOperationException($"Request {id} has no KV kept for export (prefill role, before ReleaseKv).");
            var blocks = Kv.GetBlocks(id);
            if (blockStart < 0 || blockCount < 1 || blockStart + blockCount > blocks.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(blockCount), $"Blocks [{blockStart}, +{blockCount}) are outside the request's {blocks.Count}.");
            }
            kept.Copies++;
            return [.. blocks.Skip(blockStart).Take(blockCount)];
        }
    }

    private void EndExport(RequestId id)
    {
        lock (_sync)
        {
            if (!_exports.TryGetValue(id, out var kept)) return;
            kept.Copies--;
            if (!kept.Released || kept.Copies > 0) return;
            FreeExport(id);
        }
        Wake();
    }

    /// <summary>Frees the KV kept for export (sent, or given up) once no copy of it is in progress. Idempotent.</summary>
    public void ReleaseKv(RequestId id)
    {
        lock (_sync)
        {
            if (!_exports.TryGetValue(id, out var kept) || kept.Released) return;
            kept.Released = true;
            if (kept.Copies == 0) FreeExport(id);
        }
        Wake();
    }

    // Under _sync.
    private void FreeExport(RequestId id)
    {
        _exports.Remove(id);
        Kv.Free(id);
    }

    // KV a finished prefill keeps for export: its prompt tokens, copies in progress, and whether it was released.
    private sealed class KeptExport(int tokens)
    {
        public int Tokens { get; } = tokens;
        public int Copies { get; set; }
        public bool Released { get; set; }
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
