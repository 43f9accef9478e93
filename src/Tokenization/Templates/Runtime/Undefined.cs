namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>Jinja's undefined: renders as empty, is falsy, and attribute access on it stays undefined.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new();

    private Undefined() { }

    public override string ToString() => string.Empty;
}

/// <summary>The object returned by <c>namespace(...)</c>: the only value whose attributes <c>set</c> may assign.</summary>
internal sealed class Namespace : OrderedDictionary<string, object?>
{
    public Namespace() : base(StringComparer.Ordinal) { }
}

/// <summary>A callable template value (global function, bound string method, loop.cycle...).</summary>
internal delegate object? JinjaCallable(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);
