namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>Variable scope chain: <c>set</c> writes to the innermost scope; reads walk outwards.</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public object? Get(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
        {
            if (s._vars.TryGetValue(name, out var v)) return v;
        }
        return Undefined.Instance;
    }

    public void Set(string name, object? value) => _vars[name] = value;

    public Scope? Parent { get; } = parent;
}
