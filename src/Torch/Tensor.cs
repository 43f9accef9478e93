using System.Runtime.InteropServices;
using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

/// <summary>
/// A libtorch tensor (a SafeHandle over a native at::Tensor*). Every op returns a new Tensor that the
/// innermost <see cref="DisposeScope"/> of the creating thread owns, if there is one; else dispose it yourself.
/// </summary>
public sealed partial class Tensor : SafeHandle
{
    /// <summary>Used by the interop marshaller only.</summary>
    public Tensor() : base(IntPtr.Zero, ownsHandle: true) { }

    internal Tensor(IntPtr native) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(Check(native));
        DisposeScope.Current?.Add(this);
    }

    internal DisposeScope? Scope { get; set; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        ct_free(handle);
        return true;
    }

    /// <summary>Number of dimensions.</summary>
    public long dim() => Check2(ct_ndim(this));

    /// <summary>The sizes of every dimension.</summary>
    public unsafe long[] shape
    {
        get
        {
            var dims = new long[dim()];
            fixed (long* p = dims) Check(ct_shape(this, p));
            return dims;
        }
    }

    /// <summary>The strides of every dimension, in elements.</summary>
    public unsafe long[] stride()
    {
        var s = new long[dim()];
        fixed (long* p = s) Check(ct_strides(this, p));
        return s;
    }

    public long size(int dimension)
    {
        var s = shape;
        return s[dimension < 0 ? s.Length + dimension : dimension];
    }

    public long numel() => shape.Aggregate(1L, (a, b) => a * b);

    public ScalarType dtype => (ScalarType)Check2(ct_dtype(this));

    public Device device
    {
        get
        {
            Check(ct_device(this, out var type, out var index));
            return new Device((DeviceType)type, index);
        }
    }

    /// <summary>Keeps this tensor alive past the current dispose scope: the enclosing scope (if any) owns it now.</summary>
    public Tensor MoveToOuterDisposeScope()
    {
        var outer = Scope?.Outer;
        Scope?.Remove(this);
        outer?.Add(this);
        return this;
    }

    /// <summary>Takes this tensor out of every dispose scope: the caller disposes it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope?.Remove(this);
        return this;
    }

    public override string ToString() =>
        IsClosed ? "Tensor(disposed)" : $"Tensor([{string.Join(", ", shape)}], {dtype}, {device})";

    private static int Check2(int value) => value >= 0 ? value : throw LastError();
}
