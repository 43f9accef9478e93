using System.Buffers;
using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

/// <summary>
/// A host buffer for bulk device↔host copies, allocated once and reused: page-locked (pinned) when
/// <see cref="Device"/> is CUDA, so copies run asynchronously at full bus speed, plain memory on the CPU.
/// <see cref="Gather"/> copies rows of several tensors into it with one device→host copy (on a side CUDA stream, after
/// the work queued so far on the caller's stream; the caller waits for that stream only); <see cref="Scatter"/> writes
/// its bytes back into rows with one host→device copy. <see cref="MemoryManager{T}.Memory"/> is the buffer itself (no
/// managed copy). Memory held: <see cref="Capacity"/> bytes of host memory, plus as much device memory on CUDA for
/// gathered rows. One thread at a time; Memory and spans taken from it are invalid after <see cref="Dispose()"/>.
/// </summary>
public sealed unsafe class HostStaging : MemoryManager<byte>
{
    private IntPtr _handle;
    private readonly byte* _host;

    private HostStaging(IntPtr handle, Device device)
    {
        _handle = handle;
        Device = device;
        Check(ct_staging_info(handle, out var host, out var capacity, out var pinned));
        _host = (byte*)host;
        Capacity = (int)capacity;
        IsPinned = pinned != 0;
    }

    /// <summary>Bytes the buffer holds.</summary>
    public int Capacity { get; }

    /// <summary>The device whose tensors it copies from and to.</summary>
    public Device Device { get; }

    /// <summary>Whether the host buffer is page-locked (CUDA devices).</summary>
    public bool IsPinned { get; }

    /// <summary>Allocates a staging of <paramref name="capacity"/> bytes for tensors on <paramref name="device"/>.</summary>
    public static HostStaging Allocate(int capacity, Device device)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), $"A staging holds at least 1 byte, not {capacity}.");
        Check(ct_staging_new(capacity, (int)device.Type, device.Index, out var handle));
        try
        {
            return new HostStaging(handle, device);
        }
        catch
        {
            ct_staging_free(handle);
            throw;
        }
    }

    /// <summary>
    /// Copies rows <paramref name="rows"/> (dimension 0) of each of <paramref name="sources"/>, one tensor after another, to
    /// the buffer from byte 0 and waits for the copy; returns the byte count. On CUDA the copy starts after the work
    /// queued so far on the caller's current stream, or after <paramref name="after"/> when given, or at once with
    /// <see cref="StreamOrder.Independent"/>.
    /// </summary>
    public int Gather(IReadOnlyList<Tensor> sources, ReadOnlySpan<long> rows, DeviceEvent? after = null, StreamOrder order = StreamOrder.AfterQueuedWork)
    {
        if (rows.IsEmpty) throw new ArgumentException("Give at least one row to gather.", nameof(rows));
        fixed (long* r = rows) return Copy(sources, r, rows.Length, after, order);
    }

    /// <summary>Copies all of each of <paramref name="sources"/>, one after another, to the buffer from byte 0 (see <see cref="Gather"/>).</summary>
    public int Pack(IReadOnlyList<Tensor> sources, DeviceEvent? after = null) => Copy(sources, null, 0, after, StreamOrder.AfterQueuedWork);

    /// <summary>
    /// Writes the buffer's bytes from 0 (rows for each of <paramref name="destinations"/>, one tensor after another) into
    /// rows <paramref name="rows"/> of each tensor. Returns once the rows are written (so any later kernel sees them) and
    /// the buffer may be overwritten; the byte count read. On CUDA the copy first waits for the work queued on the
    /// caller's current stream, unless <paramref name="order"/> is <see cref="StreamOrder.Independent"/>.
    /// </summary>
    public int Scatter(IReadOnlyList<Tensor> destinations, ReadOnlySpan<long> rows, StreamOrder order = StreamOrder.AfterQueuedWork)
    {
        if (rows.IsEmpty) throw new ArgumentException("Give at least one row to scatter into.", nameof(rows));
        using var handles = new TensorHandles(destinations);
        var bytes = RowBytes(destinations, rows.Length);
        fixed (IntPtr* h = handles.Handles)
        fixed (long* r = rows)
        {
            Check(ct_staging_scatter(Handle, h, handles.Handles.Length, r, rows.Length, order == StreamOrder.Independent ? 1 : 0));
        }
        return bytes;
    }

    /// <summary>Frees the host buffer (and the device buffer on CUDA) once the copies queued on it are done. Idempotent.</summary>
    public void Dispose() => ((IDisposable)this).Dispose();

    public override Span<byte> GetSpan() => new(Host, Capacity);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(elementIndex));
        return new MemoryHandle(Host + elementIndex);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle != IntPtr.Zero) Check(ct_staging_free(handle));
    }

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(HostStaging));

    private byte* Host => _handle != IntPtr.Zero ? _host : throw new ObjectDisposedException(nameof(HostStaging));

    private int Copy(IReadOnlyList<Tensor> sources, long* rows, int n, DeviceEvent? after, StreamOrder order)
    {
        using var handles = new TensorHandles(sources);
        long bytes;
        fixed (IntPtr* h = handles.Handles)
        {
            Check(ct_staging_gather(Handle, h, handles.Handles.Length, rows, n, after?.Handle ?? IntPtr.Zero, order == StreamOrder.Independent ? 1 : 0, out bytes));
        }
        Check(ct_staging_wait(Handle));
        return (int)bytes;
    }

    private static int RowBytes(IReadOnlyList<Tensor> tensors, int rows)
    {
        long total = 0;
        foreach (var t in tensors)
        {
            var shape = t.shape;
            total += shape.Skip(1).Aggregate(1L, (a, b) => a * b) * t.dtype.ElementSize() * rows;
        }
        return (int)total;
    }
}
