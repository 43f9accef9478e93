using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

/// <summary>
/// A captured CUDA graph. Ops issued on this thread between <see cref="CaptureBegin"/> and
/// <see cref="CaptureEnd"/> are recorded (they must not synchronise with the host), then <see cref="Replay"/>
/// reruns them on the same memory: write new inputs into the tensors used at capture, read the outputs
/// from the tensors produced at capture.
/// </summary>
public sealed class CudaGraph : IDisposable
{
    private IntPtr _handle;

    public CudaGraph()
    {
        Check(ct_graph_new(out _handle));
    }

    /// <summary>Starts capture on a side stream of <paramref name="device"/>; may share another graph's memory pool.</summary>
    public void CaptureBegin(int device = 0, CudaGraph? sharePoolWith = null) =>
        Check(ct_graph_capture_begin(Handle, device, sharePoolWith?.Handle ?? IntPtr.Zero));

    public void CaptureEnd() => Check(ct_graph_capture_end(Handle));

    public void Replay() => Check(ct_graph_replay(Handle));

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(CudaGraph));

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        Check(ct_graph_free(_handle));
        _handle = IntPtr.Zero;
    }
}
