using Cluster.KvTransfer.CudaIpc;
using Cluster.Torch;

namespace Cluster.Worker.KvEngine;

/// <summary>
/// The engine's GPU for the KV transfer's CUDA IPC path (<see cref="CudaIpcMemory"/>): its identity is this host's boot
/// id and the device's UUID; on the CPU, or when the native layer was built without CUDA, it has none and says why.
/// The other GPUs this process sees (by UUID, with peer access to the engine's) are listed on first use, so a ring
/// exported from another GPU of the host is opened on that GPU and copied across (issue 19).
/// </summary>
public sealed class TorchKvIpcDevice : IKvIpcDevice
{
    private readonly Device _device;
    private readonly Lazy<IReadOnlyList<KvVisibleGpu>> _visible;

    public TorchKvIpcDevice(Device device)
    {
        _device = device;
        _visible = new Lazy<IReadOnlyList<KvVisibleGpu>>(ListVisible);
        if (!device.IsCuda)
        {
            UnavailableReason = $"no_cuda: the engine runs on {device}";
            return;
        }
        try
        {
            var (uuid, pci) = CudaIpcMemory.Identity(device.Index);
            Identity = new KvDeviceIdentity(KvDeviceIdentity.LocalHostId(), uuid);
            PciBusId = pci;
        }
        catch (TorchException e)
        {
            UnavailableReason = $"no_cuda: {e.Message}";
        }
    }

    public KvDeviceIdentity? Identity { get; }

    public string UnavailableReason { get; } = "";

    /// <summary>The device's PCI address (logs), when it has an identity.</summary>
    public string PciBusId { get; } = "";

    /// <summary>Allocates and exports device memory, recorded in <see cref="KvIpcLocalExports{TMemory}.Process"/> until it is freed.</summary>
    public IKvIpcRegion Allocate(long bytes)
    {
        var memory = CudaIpcMemory.Allocate(_device, bytes);
        KvIpcLocalExports<CudaIpcMemory>.Process.Add(memory.Handle, memory.Bytes, memory);
        return new TorchIpcRegion(memory, owner: true);
    }

    public IReadOnlyList<KvVisibleGpu> VisibleGpus => Identity is null ? [] : _visible.Value;

    /// <summary>
    /// Opens the ring on the GPU it was exported from: the engine's own, or a peer (then the import copies across). A ring
    /// this process exported (a sender worker in this process) is used in place, not opened: CUDA cannot open its own
    /// process's handle.
    /// </summary>
    public IKvIpcRegion Open(ReadOnlySpan<byte> handle, long bytes, KvVisibleGpu gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (KvIpcLocalExports<CudaIpcMemory>.Process.Find(handle, bytes) is { } own)
        {
            return new TorchIpcRegion(own, owner: false);
        }

        var on = gpu.Uuid == Identity?.DeviceUuid ? _device : Device.CUDA(gpu.Index);
        return new TorchIpcRegion(CudaIpcMemory.Open(on, handle, bytes));
    }

    // Every CUDA device of this process, with its UUID and peer access to the engine's device. A device whose UUID or
    // peer access cannot be read is left out (a ring from it is refused as device_not_visible).
    private IReadOnlyList<KvVisibleGpu> ListVisible()
    {
        var gpus = new List<KvVisibleGpu>();
        for (var i = 0; i < torch.cuda.device_count(); i++)
        {
            if (i == _device.Index)
            {
                gpus.Add(new KvVisibleGpu(i, Identity!.DeviceUuid, PeerAccess: true));
                continue;
            }
            try
            {
                gpus.Add(new KvVisibleGpu(i, CudaIpcMemory.Identity(i).Uuid, CudaIpcMemory.CanAccessPeer(_device.Index, i)));
            }
            catch (TorchException)
            {
                // unreadable: not a candidate for a peer open
            }
        }
        return gpus;
    }
}

/// <summary>
/// <see cref="CudaIpcMemory"/> as the transfer's <see cref="IKvIpcRegion"/>: the <paramref name="owner"/> frees it (and
/// takes it out of <see cref="KvIpcLocalExports{TMemory}.Process"/>); a receiver in the exporting process borrows it and frees nothing.
/// </summary>
public sealed class TorchIpcRegion(CudaIpcMemory memory, bool owner = true) : IKvIpcRegion
{
    public CudaIpcMemory Memory => memory;

    public ReadOnlyMemory<byte> Handle => memory.Handle;

    public long Bytes => memory.Bytes;

    public void Read(long offset, Span<byte> destination) => memory.Read(offset, destination);

    public void Write(long offset, ReadOnlySpan<byte> source) => memory.Write(offset, source);

    public void Dispose()
    {
        if (!owner) return;
        if (memory.Handle.Length > 0) KvIpcLocalExports<CudaIpcMemory>.Process.Remove(memory.Handle, memory.Bytes);
        memory.Dispose();
    }
}
