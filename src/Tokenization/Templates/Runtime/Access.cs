namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>Attribute, item and slice access with Python semantics (negative indexes, steps).</summary>
internal static class Access
{
    public static object? Attribute(object? target, string name) => target switch
    {
        OrderedDictionary<string, object?> d when d.TryGetValue(name, out var v) => v,
        OrderedDictionary<string, object?> d and not Namespace => (object?)Methods.ForDict(d, name) ?? Undefined.Instance,
        string s => (object?)Methods.ForString(s, name) ?? Undefined.Instance,
        List<object?> l when long.TryParse(name, out var i) => Index(l, i, default),
        _ => Undefined.Instance,
    };

    public static object? Index(object? target, object? key, SourcePosition pos) => (target, key) switch
    {
        (OrderedDictionary<string, object?> d, string k) => d.TryGetValue(k, out var v) ? v : Attribute(d, k),
        (List<object?> l, long i) => Normalize(i, l.Count) is var n and >= 0 && n < l.Count ? l[(int)n] : Undefined.Instance,
        (string s, long i) => PyStr.CodePoints(s) is var cps && Normalize(i, cps.Count) is var m and >= 0 && m < cps.Count ? cps[(int)m] : Undefined.Instance,
        (Undefined or null, _) => Undefined.Instance,
        (_, string attr) => Attribute(target, attr),
        _ => throw new TemplateException($"cannot index {Values.TypeName(target)} with {Values.TypeName(key)} at {pos}"),
    };

    public static object? Slice(object? target, object? start, object? stop, object? step, SourcePosition pos)
    {
        var st = step is null ? 1 : (long)Need(step, pos);
        if (st == 0) throw new TemplateException($"slice step cannot be zero at {pos}");
        var length = target switch
        {
            List<object?> l => l.Count,
            string s => PyStr.Length(s),
            _ => throw new TemplateException($"cannot slice {Values.TypeName(target)} at {pos}"),
        };
        var indexes = Range(length, start is null ? null : Need(start, pos), stop is null ? null : Need(stop, pos), st);
        if (target is string str)
        {
            var cps = PyStr.CodePoints(str);
            return string.Concat(indexes.Select(i => cps[i]));
        }
        var list = (List<object?>)target!;
        return indexes.Select(i => list[i]).ToList();
    }

    private static long Need(object? v, SourcePosition pos) =>
        v is long l ? l : throw new TemplateException($"slice bounds must be integers, got {Values.TypeName(v)} at {pos}");

    private static long Normalize(long i, int count) => i < 0 ? i + count : i;

    /// <summary>Python's slice.indices semantics.</summary>
    private static List<int> Range(int length, long? start, long? stop, long step)
    {
        long lo, hi;
        if (step > 0)
        {
            lo = start is { } a ? Math.Clamp(a < 0 ? a + length : a, 0, length) : 0;
            hi = stop is { } b ? Math.Clamp(b < 0 ? b + length : b, 0, length) : length;
        }
        else
        {
            lo = start is { } a ? Math.Clamp(a < 0 ? a + length : a, -1, length - 1) : length - 1;
            hi = stop is { } b ? Math.Clamp(b < 0 ? b + length : b, -1, length - 1) : -1;
        }
        var result = new List<int>();
        for (var i = lo; step > 0 ? i < hi : i > hi; i += step) result.Add((int)i);
        return result;
    }
}
