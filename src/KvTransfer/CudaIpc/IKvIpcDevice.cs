namespace Cluster.KvTransfer.CudaIpc;

/// <summary>
/// This process's GPU as the CUDA IPC path sees it (the worker plugs in a Torch-backed one; KvTransfer references no
/// engine): its identity for peer matching, and device memory that is exported to or opened from another process.
/// </summary>
public interface IKvIpcDevice
{
    /// <summary>Host and device of this process, or null when IPC cannot run here (<see cref="UnavailableReason"/>).</summary>
    KvDeviceIdentity? Identity { get; }

    /// <summary>Why <see cref="Identity"/> is null (e.g. "no_cuda: the engine runs on cpu"); empty when available.</summary>
    string UnavailableReason { get; }

    /// <summary>
    /// The GPUs of this host that this process sees, its own included (<see cref="KvVisibleGpu.PeerAccess"/> true for it);
    /// empty without an <see cref="Identity"/>.
    /// </summary>
    IReadOnlyList<KvVisibleGpu> VisibleGpus { get; }

    /// <summary>Allocates <paramref name="bytes"/> of device memory that other processes can open (zeroed).</summary>
    IKvIpcRegion Allocate(long bytes);

    /// <summary>
    /// Opens another process's exported allocation of <paramref name="bytes"/>, made on <paramref name="gpu"/> (this
    /// process's own GPU or a peer of it); throws when it cannot.
    /// </summary>
    IKvIpcRegion Open(ReadOnlySpan<byte> handle, long bytes, KvVisibleGpu gpu);
}

/// <summary>A GPU one process sees.</summary>
/// <param name="Index">The CUDA device index this process knows it by (CUDA_VISIBLE_DEVICES renumbers them).</param>
/// <param name="Uuid">Its UUID ("GPU-…"), the same in every process of the host.</param>
/// <param name="PeerAccess">Whether it and this process's own GPU can read each other's memory (cudaDeviceCanAccessPeer both ways); true for the own GPU.</param>
public sealed record KvVisibleGpu(int Index, string Uuid, bool PeerAccess);

/// <summary>
/// A host and GPU: two processes may share device memory only on one host, on one GPU or on two GPUs with peer access
/// (<see cref="KvIpcPeerDecision"/>).
/// </summary>
/// <param name="HostId">The machine (Linux boot id), so two containers' equal GPU ids are not mistaken for one.</param>
/// <param name="DeviceUuid">The GPU's UUID (cudaDeviceProp.uuid).</param>
public sealed record KvDeviceIdentity(string HostId, string DeviceUuid)
{
    /// <summary>This machine's boot id (/proc/sys/kernel/random/boot_id), or its host name where there is none.</summary>
    public static string LocalHostId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Environment.MachineName;
        }
    }
}

/// <summary>
/// Device memory shared between processes: owned (allocated and exported here) or opened (another process's). Reads
/// and writes are synchronous: when they return, the bytes are where they were sent.
/// </summary>
public interface IKvIpcRegion : IDisposable
{
    /// <summary>The export handle (cudaIpcMemHandle_t) that <see cref="IKvIpcDevice.Open"/> takes.</summary>
    ReadOnlyMemory<byte> Handle { get; }

    long Bytes { get; }

    /// <summary>Copies bytes [<paramref name="offset"/>, +destination length) to the host.</summary>
    void Read(long offset, Span<byte> destination);

    /// <summary>Copies <paramref name="source"/> from the host into bytes [<paramref name="offset"/>, +length).</summary>
    void Write(long offset, ReadOnlySpan<byte> source);
}

/// <summary>A chunk's bytes still on the device (a layer slab): copied device to device into a ring slot.</summary>
public interface IKvDeviceBytes
{
    /// <summary>Bytes of the chunk (layout of <see cref="Core.Kv.KvCacheLayout"/>).</summary>
    int Length { get; }

    /// <summary>Copies the chunk into bytes [<paramref name="offset"/>, +<see cref="Length"/>) of <paramref name="region"/>; returns once they are there.</summary>
    void CopyTo(IKvIpcRegion region, long offset);

    /// <summary>Copies the chunk to the host (a chunk that goes inline: larger than a slot, or after a fallback).</summary>
    void CopyTo(Span<byte> destination);
}
