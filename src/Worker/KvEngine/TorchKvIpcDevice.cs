using Cluster.KvTransfer.CudaIpc;
using Cluster.Torch;

namespace Cluster.Worker.KvEngine;

/// <summary>
/// The engine's GPU for the KV transfer's CUDA IPC path (<see cref="CudaIpcMemory"/>): its identity is this host's boot
/// id and the device's UUID; on the CPU, or when the native layer was built without CUDA, it has none and says why.
/// </summary>
public sealed class TorchKvIpcDevice : IKvIpcDevice
{
    private readonly Device _device;

    public TorchKvIpcDevice(Device device)
    {
        _device = device;
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

    public IKvIpcRegion Allocate(long bytes) => new TorchIpcRegion(CudaIpcMemory.Allocate(_device, bytes));

    public IKvIpcRegion Open(ReadOnlySpan<byte> handle, long bytes) => new TorchIpcRegion(CudaIpcMemory.Open(_device, handle, bytes));
}

/// <summary><see cref="CudaIpcMemory"/> as the transfer's <see cref="IKvIpcRegion"/>.</summary>
public sealed class TorchIpcRegion(CudaIpcMemory memory) : IKvIpcRegion
{
    public CudaIpcMemory Memory => memory;

    public ReadOnlyMemory<byte> Handle => memory.Handle;

    public long Bytes => memory.Bytes;

    public void Read(long offset, Span<byte> destination) => memory.Read(offset, destination);

    public void Write(long offset, ReadOnlySpan<byte> source) => memory.Write(offset, source);

    public void Dispose() => memory.Dispose();
}
