using System.Buffers.Binary;

namespace Cluster.KvTransfer.CudaIpc;

/// <summary>
/// A ring of chunk slots in device memory shared by CUDA IPC: the sender's allocation (pooled, reused by later pushes)
/// or the receiver's opening of it. Device layout: bytes 0–7 the count of chunks the receiver has consumed (written by
/// the receiver after each committed chunk), 8–15 the nonce, slots from byte <see cref="DataOffset"/>. Chunk q goes
/// into slot q mod slots once chunk q − slots was consumed (as in the shared-memory ring).
/// </summary>
public sealed class CudaIpcChunkRing
{
    public const int DataOffset = 256;
    public const int MaxSlots = 4096;
    public const int MaxSlotBytes = 64 * 1024 * 1024;

    internal CudaIpcChunkRing(IKvIpcRegion region, int slots, int slotBytes, ulong nonce)
    {
        Region = region;
        Slots = slots;
        SlotBytes = slotBytes;
        Nonce = nonce;
    }

    public IKvIpcRegion Region { get; }

    public int Slots { get; }

    public int SlotBytes { get; }

    public ulong Nonce { get; }

    /// <summary>Bytes of a ring of <paramref name="slots"/> × <paramref name="slotBytes"/>.</summary>
    public static long BytesFor(int slots, int slotBytes) => DataOffset + ((long)slots * slotBytes);

    /// <summary>Chunks the receiver has consumed (an absolute sequence count; one device read).</summary>
    public ulong Consumed
    {
        get
        {
            Span<byte> b = stackalloc byte[8];
            Region.Read(0, b);
            return BinaryPrimitives.ReadUInt64LittleEndian(b);
        }
        set
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            Region.Write(0, b);
        }
    }

    /// <summary>The nonce as the device holds it (the receiver checks it against the announcement).</summary>
    public ulong StoredNonce
    {
        get
        {
            Span<byte> b = stackalloc byte[8];
            Region.Read(8, b);
            return BinaryPrimitives.ReadUInt64LittleEndian(b);
        }
    }

    /// <summary>Byte offset of <paramref name="slot"/> (0-based) in the region.</summary>
    public long SlotOffset(int slot) => DataOffset + ((long)slot * SlotBytes);

    /// <summary>Allocates a ring on <paramref name="device"/> and writes its nonce.</summary>
    public static CudaIpcChunkRing Allocate(IKvIpcDevice device, int slots, int slotBytes)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, MaxSlots);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotBytes, MaxSlotBytes);
        var region = device.Allocate(BytesFor(slots, slotBytes));
        try
        {
            var nonce = BinaryPrimitives.ReadUInt64LittleEndian(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, nonce);
            region.Write(8, b);
            return new CudaIpcChunkRing(region, slots, slotBytes, nonce);
        }
        catch
        {
            region.Dispose();
            throw;
        }
    }

    /// <summary>The header announcement of this (sender's) ring.</summary>
    public Contracts.V1.CudaIpcRing ToProto(KvDeviceIdentity identity, bool checksums) => new()
    {
        Handle = Google.Protobuf.ByteString.CopyFrom(Region.Handle.Span),
        Bytes = (ulong)Region.Bytes,
        Slots = (uint)Slots,
        SlotBytes = (uint)SlotBytes,
        Nonce = Nonce,
        HostId = identity.HostId,
        DeviceUuid = identity.DeviceUuid,
        Checksums = checksums,
    };
}
