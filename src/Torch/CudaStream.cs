using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

/// <summary>A CUDA stream. <see cref="MakeCurrent"/> routes the thread's following ops to it.</summary>
public sealed class CudaStream : IDisposable
{
    private IntPtr _handle;

    private CudaStream(IntPtr handle) => _handle = handle;

    /// <summary>A stream from libtorch's pool on <paramref name="device"/>.</summary>
    public static CudaStream Create(int device = 0)
    {
        Check(ct_stream_new(device, out var h));
        return new CudaStream(h);
    }

    /// <summary>The stream ops on <paramref name="device"/> currently go to.</summary>
    public static CudaStream Current(int device = 0)
    {
        Check(ct_stream_current(device, out var h));
        return new CudaStream(h);
    }

    public void MakeCurrent() => Check(ct_stream_set_current(Handle));

    public void Synchronize() => Check(ct_stream_synchronize(Handle));

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(CudaStream));

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        Check(ct_stream_free(_handle));
        _handle = IntPtr.Zero;
    }
}
