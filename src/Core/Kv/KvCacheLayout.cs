namespace Cluster.Core.Kv;

/// <summary>
/// The shape of one engine's paged KV cache, which a prefill and a decode worker must share exactly to move KV.
/// Byte layout of a range of layers × a range of blocks (KV-transfer chunks, block import/export), outermost first:
/// <c>[layer][K, V][block][token in block][kv head][head dim]</c>, little-endian elements of <see cref="DataType"/>.
/// </summary>
public sealed record KvCacheLayout(int Layers, int KvHeads, int HeadDim, KvDataType DataType, int BlockSize)
{
    /// <summary>Bytes of one element.</summary>
    public int ElementBytes => DataType switch
    {
        KvDataType.Float32 => 4,
        KvDataType.Float16 or KvDataType.BFloat16 => 2,
        _ => throw new InvalidOperationException($"Unknown KV data type {DataType}."),
    };

    /// <summary>Bytes of K (or of V) of one block in one layer.</summary>
    public long HalfBlockBytes => (long)BlockSize * KvHeads * HeadDim * ElementBytes;

    /// <summary>Bytes of K and V of one block in one layer.</summary>
    public long BlockLayerBytes => 2 * HalfBlockBytes;

    /// <summary>Bytes of <paramref name="layerCount"/> layers × <paramref name="blockCount"/> blocks.</summary>
    public long RangeBytes(int layerCount, int blockCount) => BlockLayerBytes * layerCount * blockCount;

    /// <summary>Blocks needed for <paramref name="tokens"/> tokens.</summary>
    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>Null when valid, else what is wrong, naming the field.</summary>
    public string? Validate() =>
        Layers < 1 ? $"layers must be ≥ 1 (got {Layers})"
        : KvHeads < 1 ? $"kv heads must be ≥ 1 (got {KvHeads})"
        : HeadDim < 1 ? $"head dim must be ≥ 1 (got {HeadDim})"
        : !Enum.IsDefined(DataType) ? $"dtype {(int)DataType} is not float32, float16 or bfloat16"
        : BlockSize < 1 ? $"block size must be ≥ 1 (got {BlockSize})"
        : null;

    public override string ToString() =>
        $"{Layers} layers × {KvHeads} kv heads × {HeadDim} head dim, {DataType}, {BlockSize} tokens/block";
}
