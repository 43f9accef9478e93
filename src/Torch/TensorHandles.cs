namespace Cluster.Torch;

/// <summary>The native handles of a list of tensors, each kept alive (ref-counted) until disposal.</summary>
internal readonly struct TensorHandles : IDisposable
{
    private readonly IReadOnlyList<Tensor> _tensors;
    private readonly bool[] _added;

    public TensorHandles(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _tensors = tensors;
        _added = new bool[tensors.Count];
        Handles = new IntPtr[tensors.Count];
        try
        {
            for (var i = 0; i < tensors.Count; i++)
            {
                ArgumentNullException.ThrowIfNull(tensors[i], $"{nameof(tensors)}[{i}]");
                tensors[i].DangerousAddRef(ref _added[i]);
                Handles[i] = tensors[i].DangerousGetHandle();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IntPtr[] Handles { get; }

    public void Dispose()
    {
        for (var i = 0; i < _added.Length; i++)
        {
            if (_added[i]) _tensors[i].DangerousRelease();
            _added[i] = false;
        }
    }
}
