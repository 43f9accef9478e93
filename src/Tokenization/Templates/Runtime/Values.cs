using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>
/// The template value model and Python-like semantics over it: null (None), <see cref="Undefined"/>,
/// bool, long, double, string, List&lt;object?&gt; (lists and tuples), OrderedDictionary&lt;string, object?&gt;
/// (dicts, insertion-ordered), <see cref="Namespace"/>, <see cref="JinjaCallable"/>.
/// </summary>
internal static class Values
{
    public static bool IsTruthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        Namespace => true,
        ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>What <c>{{ v }}</c> prints (Python's str()).</summary>
    public static string ToOutput(object? v) => v switch
    {
        string s => s,
        Undefined => string.Empty,
        _ => Repr(v, top: true),
    };

    /// <summary>Python's repr() (str() at top level for strings).</summary>
    public static string Repr(object? v, bool top = false) => v switch
    {
        null => "None",
        Undefined => string.Empty,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        string s => top ? s : QuoteString(s),
        List<object?> list => "[" + string.Join(", ", list.Select(x => Repr(x))) + "]",
        OrderedDictionary<string, object?> dict => "{" + string.Join(", ", dict.Select(kv => QuoteString(kv.Key) + ": " + Repr(kv.Value))) + "}",
        _ => v.ToString() ?? string.Empty,
    };

    public static string FormatFloat(double d)
    {
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (double.IsNaN(d)) return "nan";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s : s + ".0";
    }

    private static string QuoteString(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(quote);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                _ when c == quote => "\\" + c,
                _ => c.ToString(),
            });
        }
        return sb.Append(quote).ToString();
    }

    public static bool AreEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (Undefined, Undefined) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        (long or double, long or double) when a is not bool && b is not bool => Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
        (OrderedDictionary<string, object?> x, OrderedDictionary<string, object?> y) =>
            x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var o) && AreEqual(kv.Value, o)),
        _ => ReferenceEquals(a, b),
    };

    public static int Compare(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (long x, long y) => x.CompareTo(y),
        (long or double or bool, long or double or bool) => ToDouble(a).CompareTo(ToDouble(b)),
        _ => throw new TemplateException($"cannot compare {TypeName(a)} with {TypeName(b)}"),
    };

    public static double ToDouble(object? v) => v switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new TemplateException($"expected a number, got {TypeName(v)}"),
    };

    public static string TypeName(object? v) => v switch
    {
        null => "none",
        Undefined => "undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "string",
        List<object?> => "list",
        Namespace => "namespace",
        OrderedDictionary<string, object?> => "dict",
        JinjaCallable => "callable",
        _ => v.GetType().Name,
    };

    /// <summary>Items a for loop visits: list items, dict keys, string characters.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        OrderedDictionary<string, object?> d => [.. d.Keys],
        string s => [.. PyStr.CodePoints(s)],
        null or Undefined => [],
        _ => throw new TemplateException($"{TypeName(v)} is not iterable"),
    };

    /// <summary>Converts CLR values (strings, numbers, dictionaries, enumerables, JsonElement) into template values.</summary>
    public static object? FromClr(object? v) => v switch
    {
        null => null,
        string or bool or long or double or Undefined or JinjaCallable => v,
        int i => (long)i,
        float f => (double)f,
        decimal m => (double)m,
        JsonElement e => FromJson(e),
        IDictionary<string, object?> d => ToDict(d.Select(kv => (kv.Key, kv.Value))),
        IReadOnlyDictionary<string, object?> d => ToDict(d.Select(kv => (kv.Key, kv.Value))),
        IDictionary d => ToDict(d.Cast<DictionaryEntry>().Select(e => (Convert.ToString(e.Key, CultureInfo.InvariantCulture)!, e.Value))),
        IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        _ => throw new TemplateException($"cannot pass a {v.GetType().Name} to a template; use strings, numbers, bools, dictionaries and lists"),
    };

    private static OrderedDictionary<string, object?> ToDict(IEnumerable<(string Key, object? Value)> items)
    {
        var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, val) in items) d[k] = FromClr(val);
        return d;
    }

    private static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number => e.TryGetInt64(out var l) ? (object)l : e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        _ => ToDict(e.EnumerateObject().Select(p => (p.Name, (object?)FromJson(p.Value)))),
    };
}
