using Cluster.Core.Kv;

namespace Cluster.KvTransfer.Client;

/// <summary>Splits KV into chunks of at most a byte budget, one layer at a time (so chunks can leave as layers finish).</summary>
public static class KvChunkPlanner
{
    /// <summary>
    /// The chunks of one layer's blocks [<paramref name="firstBlock"/>, <paramref name="blocks"/>): consecutive block
    /// ranges of at most <paramref name="maxChunkBytes"/> (a single block-layer larger than that is sent alone).
    /// </summary>
    public static IEnumerable<KvChunkRange> ForLayer(KvCacheLayout layout, int layer, int blocks, int maxChunkBytes, int firstBlock = 0)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunkBytes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(firstBlock);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstBlock, blocks);
        var perChunk = (int)Math.Max(1, maxChunkBytes / layout.BlockLayerBytes);
        for (var start = firstBlock; start < blocks; start += perChunk)
        {
            yield return new KvChunkRange(layer, 1, start, Math.Min(perChunk, blocks - start));
        }
    }

    /// <summary>Every chunk of every layer, layer by layer, of blocks [<paramref name="firstBlock"/>, <paramref name="blocks"/>).</summary>
    public static IEnumerable<KvChunkRange> ForAllLayers(KvCacheLayout layout, int blocks, int maxChunkBytes, int firstBlock = 0)
    {
        ArgumentNullException.ThrowIfNull(layout);
        for (var layer = 0; layer < layout.Layers; layer++)
        {
            foreach (var range in ForLayer(layout, layer, blocks, maxChunkBytes, firstBlock))
            {
                yield return range;
            }
        }
    }
}
