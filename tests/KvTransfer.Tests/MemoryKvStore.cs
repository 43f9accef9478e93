using System.Collections.Concurrent;
using Cluster.Core.Ids;
using Cluster.Core.Kv;

namespace Cluster.KvTransfer.Tests;

/// <summary>
/// A KV cache of plain bytes with a fixed block budget: each request's reservation is one array in the full
/// layout <c>[layer][K,V][block][...]</c>; chunk writes scatter into it. Counts blocks so tests see leaks.
/// </summary>
internal sealed class MemoryKvStore(KvCacheLayout layout, int totalBlocks, string model = "tiny") : IKvImportTarget
{
    private readonly ConcurrentDictionary<RequestId, (int Blocks, byte[] Bytes)> _reserved = new();
    private int _usedBlocks;
    private int _writeAttempts;

    public string Model => model;

    public KvCacheLayout Layout => layout;

    public int UsedBlocks => Volatile.Read(ref _usedBlocks);

    public int Writes;

    /// <summary>The 1-based number of a write that fails once (an engine fault mid-transfer); 0 = none.</summary>
    public int FailWriteNumber;

    public int? TryReserve(RequestId request, int tokens)
    {
        var blocks = layout.BlocksFor(tokens);
        if (Interlocked.Add(ref _usedBlocks, blocks) > totalBlocks)
        {
            Interlocked.Add(ref _usedBlocks, -blocks);
            return null;
        }

        _reserved[request] = (blocks, new byte[layout.RangeBytes(layout.Layers, blocks)]);
        return blocks;
    }

    public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, ReadOnlySpan<byte> data)
    {
        if (Interlocked.Increment(ref _writeAttempts) == FailWriteNumber)
        {
            throw new InvalidOperationException("Injected KV write failure.");
        }

        var (blocks, bytes) = _reserved[request];
        var half = (int)layout.HalfBlockBytes;
        var offset = 0;
        for (var layer = layerStart; layer < layerStart + layerCount; layer++)
        {
            for (var kv = 0; kv < 2; kv++)
            {
                var destination = (((layer * 2) + kv) * blocks + blockStart) * half;
                data.Slice(offset, blockCount * half).CopyTo(bytes.AsSpan(destination));
                offset += blockCount * half;
            }
        }

        Interlocked.Increment(ref Writes);
    }

    public void Release(RequestId request)
    {
        if (_reserved.TryRemove(request, out var entry))
        {
            Interlocked.Add(ref _usedBlocks, -entry.Blocks);
        }
    }

    /// <summary>The request's reserved bytes in the full layout.</summary>
    public byte[] Contents(RequestId request) => _reserved[request].Bytes;

    /// <summary>The bytes a chunk of <paramref name="range"/> carries, cut from a full-layout array.</summary>
    public static byte[] Slice(KvCacheLayout layout, byte[] full, int blocks, Client.KvChunkRange range)
    {
        var half = (int)layout.HalfBlockBytes;
        var result = new byte[layout.RangeBytes(range.LayerCount, range.BlockCount)];
        var offset = 0;
        for (var layer = range.LayerStart; layer < range.LayerStart + range.LayerCount; layer++)
        {
            for (var kv = 0; kv < 2; kv++)
            {
                var source = (((layer * 2) + kv) * blocks + range.BlockStart) * half;
                full.AsSpan(source, range.BlockCount * half).CopyTo(result.AsSpan(offset));
                offset += range.BlockCount * half;
            }
        }

        return result;
    }
}
