using System.Buffers.Binary;
using System.Text;
using Cluster.Core.Ids;

namespace Cluster.Core.Hashing;

/// <summary>
/// Hashes token sequences into chained <see cref="BlockHash"/>es, version <c>cluster/v1</c>
/// (ARCHITECTURE §5). Only full blocks are hashed.
/// <code>
/// seed = XXH64(utf8("cluster/v1|" + modelId + "|" + blockSize + "|" + cacheSalt), 0)
/// h[0] = XXH64(le64(seed)   ‖ le32(tokens of block 0), 0)
/// h[i] = XXH64(le64(h[i-1]) ‖ le32(tokens of block i), 0)
/// </code>
/// Router and workers must agree on this bit for bit; golden vectors in Core.Tests pin it.
/// </summary>
public sealed class BlockHasher
{
    /// <summary>The scheme's version tag, part of the seed.</summary>
    public const string Version = "cluster/v1";

    private readonly ulong _seed;

    public BlockHasher(ModelId model, int blockSize, string cacheSalt = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(model.Value, nameof(model));
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentNullException.ThrowIfNull(cacheSalt);
        BlockSize = blockSize;
        var text = $"{Version}|{model.Value}|{blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}|{cacheSalt}";
        _seed = XxHash64.Hash(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }

    /// <summary>The hash of the first block's parent (derived from model, block size and salt).</summary>
    public ulong Seed => _seed;

    /// <summary>Hashes every full block of <paramref name="tokens"/>; a trailing partial block is ignored.</summary>
    public BlockHash[] HashBlocks(ReadOnlySpan<int> tokens)
    {
        var hashes = new BlockHash[tokens.Length / BlockSize];
        ulong parent = _seed;
        for (var i = 0; i < hashes.Length; i++)
        {
            parent = Chain(parent, tokens.Slice(i * BlockSize, BlockSize));
            hashes[i] = new BlockHash(parent);
        }

        return hashes;
    }

    /// <summary>Hashes one full block given its parent's hash (null for the first block).</summary>
    public BlockHash HashBlock(BlockHash? parent, ReadOnlySpan<int> blockTokens)
    {
        if (blockTokens.Length != BlockSize)
        {
            throw new ArgumentException($"A block holds exactly {BlockSize} tokens; got {blockTokens.Length}.", nameof(blockTokens));
        }

        return new BlockHash(Chain(parent?.Value ?? _seed, blockTokens));
    }

    private static ulong Chain(ulong parent, ReadOnlySpan<int> blockTokens)
    {
        var byteCount = 8 + (4 * blockTokens.Length);
        Span<byte> buffer = byteCount <= 1024 ? stackalloc byte[byteCount] : new byte[byteCount];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, parent);
        for (var i = 0; i < blockTokens.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer[(8 + (4 * i))..], blockTokens[i]);
        }

        return XxHash64.Hash(buffer);
    }
}
