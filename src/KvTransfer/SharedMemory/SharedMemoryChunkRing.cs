using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;

namespace Cluster.KvTransfer.SharedMemory;

/// <summary>
/// The same-host fast path's ring of chunk slots: a file under /dev/shm, memory-mapped by the sender (who creates and
/// deletes it) and the receiver. Header: magic, nonce, slots, slot size, and at its own cache line the count of chunks
/// the receiver has consumed (written by the receiver only); the sender reuses slot <c>q mod slots</c> for chunk q once
/// chunk q − slots was consumed. File layout in src/KvTransfer/README.md.
/// </summary>
public sealed unsafe class SharedMemoryChunkRing : IDisposable
{
    /// <summary>Where rings live; only files here named <see cref="FilePrefix"/>* are ever opened.</summary>
    public const string Directory = "/dev/shm";

    public const string FilePrefix = "cluster-kv-";

    private const ulong Magic = 0x314D48535F564B43;   // "CKV_SHM1" little-endian
    private const int ConsumedOffset = 64;
    private const int DataOffset = 128;
    private const int MaxSlots = 4096;
    private const int MaxSlotBytes = 64 * 1024 * 1024;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly bool _owner;
    private int _disposed;

    private SharedMemoryChunkRing(string path, MemoryMappedFile file, int slots, int slotBytes, ulong nonce, bool owner)
    {
        Path = path;
        _file = file;
        _view = file.CreateViewAccessor(0, DataOffset + ((long)slots * slotBytes), MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;
        Slots = slots;
        SlotBytes = slotBytes;
        Nonce = nonce;
        _owner = owner;
    }

    public string Path { get; }

    public int Slots { get; }

    public int SlotBytes { get; }

    public ulong Nonce { get; }

    /// <summary>Whether this machine has a shared-memory file system (Linux).</summary>
    public static bool Available => System.IO.Directory.Exists(Directory);

    /// <summary>Chunks the receiver has consumed (an absolute sequence count).</summary>
    public ulong Consumed => Volatile.Read(ref *(ulong*)(_base + ConsumedOffset));

    /// <summary>
    /// A ring of <paramref name="slots"/> × <paramref name="slotBytes"/> whose consumed count starts at <paramref name="consumed"/>,
    /// or null when /dev/shm lacks the space (a mapped file past a tmpfs's limit would fault on first write).
    /// </summary>
    public static SharedMemoryChunkRing? TryCreate(int slots, int slotBytes, ulong consumed)
    {
        var needed = DataOffset + ((long)slots * slotBytes);
        try
        {
            if (new DriveInfo(Directory).AvailableFreeSpace < 2 * needed) return null;
        }
        catch (IOException)
        {
            return null;
        }
        return Create(slots, slotBytes, consumed);
    }

    /// <summary>Creates a ring of <paramref name="slots"/> × <paramref name="slotBytes"/> whose consumed count starts at <paramref name="consumed"/>.</summary>
    public static SharedMemoryChunkRing Create(int slots, int slotBytes, ulong consumed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, MaxSlots);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotBytes, MaxSlotBytes);
        var path = System.IO.Path.Combine(Directory, FilePrefix + Guid.NewGuid().ToString("N"));
        var nonce = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.CreateNew, null, DataOffset + ((long)slots * slotBytes), MemoryMappedFileAccess.ReadWrite);
        var ring = new SharedMemoryChunkRing(path, file, slots, slotBytes, nonce, owner: true);
        *(ulong*)ring._base = Magic;
        *(ulong*)(ring._base + 8) = nonce;
        *(int*)(ring._base + 16) = slots;
        *(int*)(ring._base + 20) = slotBytes;
        Volatile.Write(ref *(ulong*)(ring._base + ConsumedOffset), consumed);
        return ring;
    }

    /// <summary>Maps the ring a push header names, or null with the reason (another host, a bad path or shape).</summary>
    public static SharedMemoryChunkRing? TryOpen(Contracts.V1.SharedMemoryRing ring, out string? error)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var path = System.IO.Path.GetFullPath(ring.Path);
        if (System.IO.Path.GetDirectoryName(path) != Directory || !System.IO.Path.GetFileName(path).StartsWith(FilePrefix, StringComparison.Ordinal))
        {
            error = $"the shared-memory ring must be a file {Directory}/{FilePrefix}*, not '{ring.Path}'";
            return null;
        }
        if (ring.Slots is < 1 or > MaxSlots || ring.SlotBytes is < 1 or > MaxSlotBytes)
        {
            error = $"the shared-memory ring's shape ({ring.Slots} slots × {ring.SlotBytes} bytes) is outside 1…{MaxSlots} × 1…{MaxSlotBytes}";
            return null;
        }
        var length = DataOffset + ((long)ring.Slots * ring.SlotBytes);
        MemoryMappedFile file;
        try
        {
            if (new FileInfo(path).Length != length)
            {
                error = $"the shared-memory ring '{path}' does not hold {length} bytes";
                return null;
            }
            file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, length, MemoryMappedFileAccess.ReadWrite);
        }
        catch (IOException e)
        {
            error = $"the shared-memory ring '{path}' cannot be opened here (another host?): {e.Message}";
            return null;
        }
        var opened = new SharedMemoryChunkRing(path, file, (int)ring.Slots, (int)ring.SlotBytes, ring.Nonce, owner: false);
        if (*(ulong*)opened._base != Magic || *(ulong*)(opened._base + 8) != ring.Nonce
            || *(int*)(opened._base + 16) != ring.Slots || *(int*)(opened._base + 20) != ring.SlotBytes)
        {
            opened.Dispose();
            error = $"the shared-memory ring '{path}' has another header than the push announced (another host's file?)";
            return null;
        }
        error = null;
        return opened;
    }

    /// <summary>The ring as a push header announces it.</summary>
    public Contracts.V1.SharedMemoryRing ToProto() => new() { Path = Path, Slots = (uint)Slots, SlotBytes = (uint)SlotBytes, Nonce = Nonce };

    /// <summary>The first <paramref name="length"/> bytes of slot <paramref name="slot"/> (0-based).</summary>
    public Span<byte> Slot(int slot, int length)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)slot, (uint)Slots, nameof(slot));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)SlotBytes, nameof(length));
        return new Span<byte>(_base + DataOffset + ((long)slot * SlotBytes), length);
    }

    /// <summary>Receiver: chunks before <paramref name="count"/> are consumed; their slots may be reused.</summary>
    public void MarkConsumed(ulong count) => Volatile.Write(ref *(ulong*)(_base + ConsumedOffset), count);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        if (_owner) File.Delete(Path);
    }
}
