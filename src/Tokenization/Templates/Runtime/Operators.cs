namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>Binary operators: arithmetic, concatenation, comparison and membership.</summary>
internal static class Operators
{
    public static object? Apply(string op, object? a, object? b, SourcePosition pos) => op switch
    {
        "+" => Add(a, b, pos),
        "-" => Arith(a, b, pos, op, (x, y) => x - y, (x, y) => x - y),
        "*" => a is string s && b is long n ? string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, n))) : Arith(a, b, pos, op, (x, y) => x * y, (x, y) => x * y),
        "/" => Values.ToDouble(a) / Values.ToDouble(b),
        "//" => a is long x && b is long y ? (object)FloorDiv(x, y) : Math.Floor(Values.ToDouble(a) / Values.ToDouble(b)),
        "%" => a is long x2 && b is long y2 ? ((x2 % y2) + y2) % y2 : Arith(a, b, pos, op, (x, y) => x % y, (x, y) => x % y),
        "**" => a is long x3 && b is long y3 && y3 >= 0 ? (object)(long)Math.Pow(x3, y3) : Math.Pow(Values.ToDouble(a), Values.ToDouble(b)),
        "~" => Values.ToOutput(a) + Values.ToOutput(b),
        "==" => Values.AreEqual(a, b),
        "!=" => !Values.AreEqual(a, b),
        "<" => Values.Compare(a, b) < 0,
        ">" => Values.Compare(a, b) > 0,
        "<=" => Values.Compare(a, b) <= 0,
        ">=" => Values.Compare(a, b) >= 0,
        "in" => Contains(b, a, pos),
        "not in" => !Contains(b, a, pos),
        _ => throw new TemplateException($"unsupported operator '{op}' at {pos}"),
    };

    public static bool Contains(object? container, object? item, SourcePosition pos) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        List<object?> list => list.Any(x => Values.AreEqual(x, item)),
        OrderedDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        Undefined or null => false,
        _ => throw new TemplateException($"'in' needs a string, list or dict on the right, got {Values.TypeName(container)} at {pos}"),
    };

    private static object Add(object? a, object? b, SourcePosition pos) => (a, b) switch
    {
        (string x, string y) => x + y,
        (List<object?> x, List<object?> y) => x.Concat(y).ToList(),
        _ => Arith(a, b, pos, "+", (x, y) => x + y, (x, y) => x + y),
    };

    private static object Arith(object? a, object? b, SourcePosition pos, string op, Func<long, long, long> ints, Func<double, double, double> floats)
    {
        if (a is long x && b is long y) return ints(x, y);
        if (a is long or double && b is long or double) return floats(Values.ToDouble(a), Values.ToDouble(b));
        throw new TemplateException($"unsupported operand types for {op}: {Values.TypeName(a)} and {Values.TypeName(b)} at {pos}");
    }

    private static long FloorDiv(long x, long y) => (long)Math.Floor((double)x / y);
}
