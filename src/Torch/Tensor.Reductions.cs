using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

public sealed partial class Tensor
{
    private enum Reduce { Sum, Mean, Amax, Amin, Argmax, Argmin }

    private Tensor Red(Reduce op, long? dim, bool keepdim) =>
        new(ct_reduce((int)op, this, dim ?? 0, keepdim ? 1 : 0, dim is null ? 1 : 0));

    public Tensor sum(long? dim = null, bool keepdim = false) => Red(Reduce.Sum, dim, keepdim);
    public Tensor mean(long? dim = null, bool keepdim = false) => Red(Reduce.Mean, dim, keepdim);
    public Tensor amax(long? dim = null, bool keepdim = false) => Red(Reduce.Amax, dim, keepdim);
    public Tensor amin(long? dim = null, bool keepdim = false) => Red(Reduce.Amin, dim, keepdim);
    public Tensor argmax(long? dim = null, bool keepdim = false) => Red(Reduce.Argmax, dim, keepdim);
    public Tensor argmin(long? dim = null, bool keepdim = false) => Red(Reduce.Argmin, dim, keepdim);

    public Tensor softmax(long dim) => new(ct_softmax(this, dim));
    public Tensor log_softmax(long dim) => new(ct_log_softmax(this, dim));
    public Tensor cumsum(long dim) => new(ct_cumsum(this, dim));

    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true)
    {
        Check(ct_topk(this, k, dim, largest ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false)
    {
        Check(ct_sort(this, dim, descending ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Copies <paramref name="src"/> into this tensor (broadcasting, converting dtype and device).</summary>
    public Tensor copy_(Tensor src, bool non_blocking = false)
    {
        Check(ct_copy_(this, src, non_blocking ? 1 : 0));
        return this;
    }

    public Tensor fill_(double value)
    {
        Check(ct_fill_(this, value));
        return this;
    }

    public Tensor index_copy_(long dim, Tensor index, Tensor source)
    {
        Check(ct_index_copy_(this, dim, index, source));
        return this;
    }

    public Tensor index_add_(long dim, Tensor index, Tensor source)
    {
        Check(ct_index_add_(this, dim, index, source));
        return this;
    }

    public Tensor masked_fill_(Tensor mask, double value)
    {
        Check(ct_masked_fill_(this, mask, value));
        return this;
    }
}
