using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

/// <summary>
/// Device memory shared between processes on one host by CUDA IPC (Native/cuda_ipc.cpp): allocated here and exported
/// (<see cref="Allocate"/>, <see cref="Handle"/>), or another process's export opened here (<see cref="Open"/>, on the
/// exporter's GPU, which may be a peer of the GPU the copies go to: <see cref="Scatter"/>). Every copy returns once done. Only a CUDA build of the native layer has it; elsewhere each call throws naming that.
/// </summary>
public sealed unsafe class CudaIpcMemory : IDisposable
{
    private IntPtr _handle;

    private CudaIpcMemory(IntPtr handle, long bytes, Device device, byte[] exportHandle)
    {
        _handle = handle;
        Bytes = bytes;
        Device = device;
        Handle = exportHandle;
    }

    public long Bytes { get; }

    public Device Device { get; }

    /// <summary>The export handle (cudaIpcMemHandle_t, 64 bytes) of memory allocated here; empty for opened memory.</summary>
    public byte[] Handle { get; }

    /// <summary>UUID ("GPU-…") and PCI address of CUDA device <paramref name="index"/>.</summary>
    public static (string Uuid, string PciBusId) Identity(int index)
    {
        var uuid = stackalloc byte[64];
        Check(ct_cuda_device_identity(index, uuid, out var domain, out var bus, out var device));
        return (new string((sbyte*)uuid), $"{domain:x4}:{bus:x2}:{device:x2}");
    }

    /// <summary>
    /// Whether CUDA devices <paramref name="device"/> and <paramref name="peer"/> can read each other's memory
    /// (cudaDeviceCanAccessPeer both ways; true for a device and itself).
    /// </summary>
    public static bool CanAccessPeer(int device, int peer)
    {
        Check(ct_cuda_can_access_peer(device, peer, out var can));
        return can != 0;
    }

    /// <summary>Allocates <paramref name="bytes"/> (zeroed) on CUDA device <paramref name="device"/> and exports it.</summary>
    public static CudaIpcMemory Allocate(Device device, long bytes)
    {
        RequireCuda(device);
        Check(ct_ipc_alloc(device.Index, bytes, out var handle));
        try
        {
            var export = new byte[ct_ipc_handle_bytes()];
            fixed (byte* h = export) Check(ct_ipc_handle(handle, h, export.Length));
            return new CudaIpcMemory(handle, bytes, device, export);
        }
        catch
        {
            ct_ipc_free(handle);
            throw;
        }
    }

    /// <summary>
    /// Opens another process's export <paramref name="exportHandle"/> of <paramref name="bytes"/> on <paramref name="device"/>:
    /// the GPU the memory is on (the exporter's, at the index this process sees it), which may differ from this process's own.
    /// </summary>
    public static CudaIpcMemory Open(Device device, ReadOnlySpan<byte> exportHandle, long bytes)
    {
        RequireCuda(device);
        IntPtr handle;
        fixed (byte* h = exportHandle) Check(ct_ipc_open(device.Index, h, exportHandle.Length, bytes, out handle));
        return new CudaIpcMemory(handle, bytes, device, []);
    }

    public void Read(long offset, Span<byte> destination)
    {
        fixed (byte* d = destination) Check(ct_ipc_read(Native, offset, d, destination.Length));
    }

    public void Write(long offset, ReadOnlySpan<byte> source)
    {
        fixed (byte* s = source) Check(ct_ipc_write(Native, offset, s, source.Length));
    }

    /// <summary>
    /// Copies all of each of <paramref name="sources"/> (contiguous, on this device), one after another, into the memory
    /// from <paramref name="offset"/>, after <paramref name="after"/> (else after the work queued on the current stream);
    /// returns the byte count once the bytes are there.
    /// </summary>
    public long Pack(long offset, IReadOnlyList<Tensor> sources, DeviceEvent? after = null)
    {
        using var handles = new TensorHandles(sources);
        long bytes;
        fixed (IntPtr* h = handles.Handles) Check(ct_ipc_pack(Native, offset, h, handles.Handles.Length, after?.Handle ?? IntPtr.Zero, out bytes));
        return bytes;
    }

    /// <summary>
    /// Writes rows <paramref name="rows"/> of each of <paramref name="destinations"/> from the memory at <paramref name="offset"/>
    /// (one tensor after another), without waiting for the compute stream; returns once written. The destinations are on
    /// one GPU: this memory's, or a peer GPU of the same host (each slice is then copied across first).
    /// </summary>
    public void Scatter(long offset, IReadOnlyList<Tensor> destinations, ReadOnlySpan<long> rows)
    {
        if (rows.IsEmpty) throw new ArgumentException("Give at least one row to scatter into.", nameof(rows));
        using var handles = new TensorHandles(destinations);
        fixed (IntPtr* h = handles.Handles)
        fixed (long* r = rows)
        {
            Check(ct_ipc_scatter(Native, offset, h, handles.Handles.Length, r, rows.Length));
        }
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle != IntPtr.Zero) Check(ct_ipc_free(handle));
    }

    private IntPtr Native => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(CudaIpcMemory));

    private static void RequireCuda(Device device)
    {
        if (!device.IsCuda) throw new ArgumentException($"CUDA IPC needs a CUDA device, not {device}.", nameof(device));
    }
}
