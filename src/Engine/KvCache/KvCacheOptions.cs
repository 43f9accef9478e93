namespace Cluster.Engine.KvCache;

/// <summary>Configuration section <c>KvCache</c>: block size and the memory budget of the paged cache.</summary>
public sealed class KvCacheOptions
{
    public const string SectionName = "KvCache";
    public const int DefaultBlockSize = 16;
    public const double DefaultMemoryFraction = 0.9;
    public const long DefaultCpuBytes = 256L << 20;

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; set; } = DefaultBlockSize;

    /// <summary>On CUDA: the fraction of the device's free memory (after the weights are loaded) the cache takes.</summary>
    public double MemoryFraction { get; set; } = DefaultMemoryFraction;

    /// <summary>
    /// On CUDA, for several workers on one device: the share (0–1] of the device's total memory this worker may use,
    /// weights included. Its cache then takes at most <see cref="MemoryFraction"/> of that share less the weights (the
    /// rest is working memory), and never more than <see cref="MemoryFraction"/> of what is free. Unset: free memory only.
    /// </summary>
    public double? DeviceShare { get; set; }

    /// <summary>On the CPU: the cache's size in bytes.</summary>
    public long CpuBytes { get; set; } = DefaultCpuBytes;

    /// <summary>If set, exactly this many blocks whatever the budget (tests, benchmarks).</summary>
    public int? NumBlocks { get; set; }

    /// <summary>What is wrong, naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BlockSize is < 1 or > 1024) errors.Add($"KvCache:BlockSize must be in 1 … 1024 (got {BlockSize})");
        if (MemoryFraction is <= 0 or > 1) errors.Add($"KvCache:MemoryFraction must be in (0, 1] (got {MemoryFraction})");
        if (DeviceShare is <= 0 or > 1) errors.Add($"KvCache:DeviceShare must be in (0, 1] when set (got {DeviceShare})");
        if (CpuBytes < 1) errors.Add($"KvCache:CpuBytes must be ≥ 1 (got {CpuBytes})");
        if (NumBlocks is < 1) errors.Add($"KvCache:NumBlocks must be ≥ 1 when set (got {NumBlocks})");
        return errors;
    }
}
