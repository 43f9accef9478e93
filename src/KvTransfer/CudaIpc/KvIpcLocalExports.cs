using System.Collections.Concurrent;

namespace Cluster.KvTransfer.CudaIpc;

/// <summary>
/// Device memory this process exported, by export handle and size. CUDA refuses to open an IPC handle in the process
/// that exported it (cudaIpcOpenMemHandle answers "invalid device context"), and the one-process cluster
/// (<c>cluster up</c> without <c>--redis</c>, the benches) runs prefill and decode workers in one process: an
/// <see cref="IKvIpcDevice"/> adds what it allocates here, and <see cref="IKvIpcDevice.Open"/> looks a handle up before
/// asking CUDA, so such a ring is used directly, in place. <see cref="Process"/> is the process-wide one.
/// </summary>
/// <typeparam name="TMemory">The device's own memory object (the same object serves sender and receiver).</typeparam>
public sealed class KvIpcLocalExports<TMemory> where TMemory : class
{
    private readonly ConcurrentDictionary<string, TMemory> _exports = new(StringComparer.Ordinal);

    /// <summary>The exports of this process (one table per memory type).</summary>
    public static KvIpcLocalExports<TMemory> Process { get; } = new();

    /// <summary>Exports held now.</summary>
    public int Count => _exports.Count;

    /// <summary>Records an allocation of <paramref name="bytes"/> exported under <paramref name="handle"/>.</summary>
    public void Add(ReadOnlySpan<byte> handle, long bytes, TMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _exports[Key(handle, bytes)] = memory;
    }

    /// <summary>Forgets an allocation (before it is freed).</summary>
    public void Remove(ReadOnlySpan<byte> handle, long bytes) => _exports.TryRemove(Key(handle, bytes), out _);

    /// <summary>This process's own allocation under <paramref name="handle"/> of <paramref name="bytes"/>, or null (another process's).</summary>
    public TMemory? Find(ReadOnlySpan<byte> handle, long bytes) => _exports.TryGetValue(Key(handle, bytes), out var memory) ? memory : null;

    private static string Key(ReadOnlySpan<byte> handle, long bytes) =>
        handle.IsEmpty ? throw new ArgumentException("An export handle is never empty.", nameof(handle)) : $"{Convert.ToHexString(handle)}:{bytes}";
}
