namespace Cluster.KvTransfer.SharedMemory;

/// <summary>The ring a sender creates per push stream: <paramref name="RingBytes"/> in slots of <paramref name="SlotBytes"/> (the largest chunk).</summary>
public sealed record SharedMemoryRingShape(long RingBytes, int SlotBytes)
{
    /// <summary>Slots in the ring: at least 2, so the receiver reads one while the sender fills the next.</summary>
    public int Slots => (int)Math.Clamp(RingBytes / Math.Max(1, SlotBytes), 2, 4096);
}
