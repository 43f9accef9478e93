using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

public sealed partial class Tensor
{
    /// <summary>Copies the elements (row-major) to a new host array; <typeparamref name="T"/> must match the dtype's size.</summary>
    public unsafe T[] data<T>() where T : unmanaged
    {
        var n = numel();
        if (sizeof(T) != dtype.ElementSize())
        {
            throw new InvalidOperationException($"data<{typeof(T).Name}>() on a {dtype} tensor: element sizes differ");
        }
        var result = new T[n];
        fixed (T* p = result) Check(ct_to_host(this, p, n * sizeof(T)));
        return result;
    }

    /// <summary>Copies the raw bytes (row-major) into <paramref name="destination"/>, which must be exactly the tensor's size.</summary>
    public unsafe void CopyTo(Span<byte> destination)
    {
        fixed (byte* p = destination) Check(ct_to_host(this, p, destination.Length));
    }

    /// <summary>The single element as a double (synchronises with the device).</summary>
    public double item()
    {
        Check(ct_item(this, out var v));
        return v;
    }

    /// <summary>The single element as a long (synchronises with the device).</summary>
    public long itemLong()
    {
        Check(ct_item_long(this, out var v));
        return v;
    }
}
