using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

/// <summary>
/// A point on a device's current stream (a CUDA event): work queued later elsewhere can wait for exactly the work
/// queued before it, not for the whole device. CPU work is synchronous, so there it is never needed.
/// </summary>
public sealed class DeviceEvent : IDisposable
{
    private IntPtr _handle;

    private DeviceEvent(IntPtr handle) => _handle = handle;

    /// <summary>Records an event on the calling thread's current stream of <paramref name="device"/>; null on the CPU.</summary>
    public static DeviceEvent? RecordCurrent(Device device)
    {
        Check(ct_event_record_current((int)device.Type, device.Index, out var handle));
        return handle == IntPtr.Zero ? null : new DeviceEvent(handle);
    }

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(DeviceEvent));

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle != IntPtr.Zero) Check(ct_event_free(handle));
    }
}
