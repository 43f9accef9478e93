namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>Jinja tests (<c>x is defined</c>, <c>x is not none</c>, <c>x is string</c>...); an unknown test is an error naming it.</summary>
internal static class Tests
{
    public static bool Apply(string name, object? v, IReadOnlyList<object?> a, SourcePosition pos) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "string" => v is string,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "mapping" => v is OrderedDictionary<string, object?>,
        "sequence" or "iterable" => v is List<object?> or string or OrderedDictionary<string, object?>,
        "callable" => v is JinjaCallable,
        "odd" => v is long o && o % 2 != 0,
        "even" => v is long e && e % 2 == 0,
        "divisibleby" => v is long x && a.Count > 0 && a[0] is long y && y != 0 && x % y == 0,
        "eq" or "equalto" or "==" => Values.AreEqual(v, Arg(a, name, pos)),
        "ne" or "!=" => !Values.AreEqual(v, Arg(a, name, pos)),
        "lt" or "lessthan" or "<" => Values.Compare(v, Arg(a, name, pos)) < 0,
        "le" or "<=" => Values.Compare(v, Arg(a, name, pos)) <= 0,
        "gt" or "greaterthan" or ">" => Values.Compare(v, Arg(a, name, pos)) > 0,
        "ge" or ">=" => Values.Compare(v, Arg(a, name, pos)) >= 0,
        "in" => Operators.Contains(Arg(a, name, pos), v, pos),
        "sameas" => ReferenceEquals(v, Arg(a, name, pos)) || (v is bool b1 && Arg(a, name, pos) is bool b2 && b1 == b2) || (v is null && Arg(a, name, pos) is null),
        "lower" => v is string l && l == l.ToLowerInvariant(),
        "upper" => v is string u && u == u.ToUpperInvariant(),
        _ => throw new TemplateException($"unsupported test '{name}' at {pos}"),
    };

    private static object? Arg(IReadOnlyList<object?> a, string test, SourcePosition pos) =>
        a.Count > 0 ? a[0] : throw new TemplateException($"test '{test}' needs an argument at {pos}");
}
