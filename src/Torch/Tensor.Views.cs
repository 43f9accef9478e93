using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

public sealed partial class Tensor
{
    public Tensor to(ScalarType type, Device target, bool non_blocking = false) =>
        new(ct_to(this, (int)type, (int)target.Type, target.Index, non_blocking ? 1 : 0));

    public Tensor to(ScalarType type) => to(type, device);

    public Tensor to(Device target, bool non_blocking = false) => to(dtype, target, non_blocking);

    public Tensor cpu() => to(Device.CPU);

    public Tensor clone() => new(ct_clone(this));

    public Tensor contiguous() => new(ct_contiguous(this));

    public unsafe Tensor view(params long[] shape)
    {
        fixed (long* p = shape) return new(ct_view(this, p, shape.Length));
    }

    public unsafe Tensor reshape(params long[] shape)
    {
        fixed (long* p = shape) return new(ct_reshape(this, p, shape.Length));
    }

    public unsafe Tensor expand(params long[] shape)
    {
        fixed (long* p = shape) return new(ct_expand(this, p, shape.Length));
    }

    public unsafe Tensor permute(params long[] dims)
    {
        fixed (long* p = dims) return new(ct_permute(this, p, dims.Length));
    }

    public Tensor transpose(long dim0, long dim1) => new(ct_transpose(this, dim0, dim1));

    public Tensor narrow(long dim, long start, long length) => new(ct_narrow(this, dim, start, length));

    public Tensor select(long dim, long index) => new(ct_select(this, dim, index));

    public Tensor unsqueeze(long dim) => new(ct_unsqueeze(this, dim));

    public Tensor squeeze(long dim) => new(ct_squeeze(this, dim));

    public Tensor index_select(long dim, Tensor index) => new(ct_index_select(this, dim, index));

    public Tensor gather(long dim, Tensor index) => new(ct_gather(this, dim, index));
}
