namespace Cluster.Torch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost scope, and disposes them when
/// it is disposed (an engine step's temporaries). Keep a result with <see cref="Tensor.MoveToOuterDisposeScope"/>
/// or <see cref="Tensor.DetachFromDisposeScope"/>. Created by <see cref="torch.NewDisposeScope"/>.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? t_current;
    private readonly DisposeScope? _outer;
    private readonly List<Tensor> _tensors = [];
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = t_current;
        t_current = this;
    }

    internal static DisposeScope? Current => t_current;

    internal DisposeScope? Outer => _outer;

    /// <summary>Number of live tensors the scope will dispose.</summary>
    public int Count => _tensors.Count;

    internal void Add(Tensor tensor)
    {
        _tensors.Add(tensor);
        tensor.Scope = this;
    }

    internal void Remove(Tensor tensor)
    {
        var i = _tensors.LastIndexOf(tensor);
        if (i >= 0) _tensors.RemoveAt(i);
        tensor.Scope = null;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        _tensors.Clear();
        if (ReferenceEquals(t_current, this)) t_current = _outer;
    }
}
