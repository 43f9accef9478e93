using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

public static partial class torch
{
    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var handles = new IntPtr[tensors.Count];
        var added = new bool[tensors.Count];
        try
        {
            for (var i = 0; i < handles.Length; i++)
            {
                tensors[i].DangerousAddRef(ref added[i]);
                handles[i] = tensors[i].DangerousGetHandle();
            }
            fixed (IntPtr* p = handles) return new(ct_cat(p, handles.Length, dim));
        }
        finally
        {
            for (var i = 0; i < handles.Length; i++)
            {
                if (added[i]) tensors[i].DangerousRelease();
            }
        }
    }

    public static Tensor where(Tensor condition, Tensor x, Tensor y) => new(ct_where(condition, x, y));

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);

    public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);

    public static Tensor log_softmax(Tensor x, long dim) => x.log_softmax(dim);
}
