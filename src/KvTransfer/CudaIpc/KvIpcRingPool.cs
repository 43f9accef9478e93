using System.Collections.Concurrent;

namespace Cluster.KvTransfer.CudaIpc;

/// <summary>
/// The sender's device rings, kept for reuse: an allocation and its export happen once, and a receiver that opened a
/// ring keeps it open (<see cref="KvIpcReceiver"/>), so later pushes pay neither. One ring per push in flight.
/// </summary>
public sealed class KvIpcRingPool(IKvIpcDevice device) : IDisposable
{
    private readonly ConcurrentBag<CudaIpcChunkRing> _spare = [];
    private bool _disposed;

    public IKvIpcDevice Device => device;

    /// <summary>A ring of this shape (a spare one, or a new allocation).</summary>
    public CudaIpcChunkRing Rent(int slots, int slotBytes)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        var skipped = new List<CudaIpcChunkRing>();
        try
        {
            while (_spare.TryTake(out var ring))
            {
                if (ring.Slots == slots && ring.SlotBytes == slotBytes) return ring;
                skipped.Add(ring);
            }
        }
        finally
        {
            foreach (var ring in skipped) _spare.Add(ring);
        }
        return CudaIpcChunkRing.Allocate(device, slots, slotBytes);
    }

    /// <summary>Gives a ring back once its push has ended.</summary>
    public void Return(CudaIpcChunkRing ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (Volatile.Read(ref _disposed)) ring.Region.Dispose();
        else _spare.Add(ring);
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_spare.TryTake(out var ring)) ring.Region.Dispose();
    }
}
