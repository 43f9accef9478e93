using System.Globalization;

namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>The Jinja filters chat templates use; an unknown filter is an error naming it.</summary>
internal static class Filters
{
    private const string Supported = "abs, capitalize, count, d, default, first, float, indent, int, items, join, last, length, list, lower, map, reject, rejectattr, replace, reverse, round, safe, select, selectattr, sort, string, sum, title, tojson, trim, unique, upper";

    public static object? Apply(string name, object? v, IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> kw, SourcePosition pos) => name switch
    {
        "trim" => a.Count > 0 && a[0] is string chars ? Str(v, name, pos).Trim(chars.ToCharArray()) : Str(v, name, pos).Trim(),
        "upper" => Str(v, name, pos).ToUpperInvariant(),
        "lower" => Str(v, name, pos).ToLowerInvariant(),
        "title" => Title(Str(v, name, pos)),
        "capitalize" => Capitalize(Str(v, name, pos)),
        "length" or "count" => (long)(v switch
        {
            string s => PyStr.Length(s),
            List<object?> l => l.Count,
            OrderedDictionary<string, object?> d => d.Count,
            Undefined => 0,
            _ => throw new TemplateException($"filter '{name}' needs a string, list or dict, got {Values.TypeName(v)} at {pos}"),
        }),
        "default" or "d" => v is Undefined || (Bool(a, 1, kw, "boolean") && !Values.IsTruthy(v)) ? (a.Count > 0 ? a[0] : kw.GetValueOrDefault("default_value", string.Empty)) : v,
        "tojson" => PythonJson.Dumps(v, kw.GetValueOrDefault("indent") is long i ? (int)i : a.Count > 0 && a[0] is long j ? (int)j : null, Bool(a, 99, kw, "sort_keys")),
        "join" => string.Join(a.Count > 0 ? (string)a[0]! : kw.GetValueOrDefault("d") as string ?? string.Empty,
            Values.Iterate(v).Select(x => kw.GetValueOrDefault("attribute") is string attr ? Access.Attribute(x, attr) : x).Select(Values.ToOutput)),
        "items" => v is OrderedDictionary<string, object?> d ? Methods.ForDict(d, "items")!([], new Dictionary<string, object?>()) : v is Undefined or null ? new List<object?>() : throw Need("a dict", v, name, pos),
        "first" => Values.Iterate(v) is { Count: > 0 } f ? f[0] : Undefined.Instance,
        "last" => Values.Iterate(v) is { Count: > 0 } l2 ? l2[^1] : Undefined.Instance,
        "list" => Values.Iterate(v).ToList(),
        "reverse" => v is string s2 ? string.Concat(PyStr.CodePoints(s2).AsEnumerable().Reverse()) : Values.Iterate(v).AsEnumerable().Reverse().ToList(),
        "string" => Values.ToOutput(v),
        "safe" => v,
        "int" => v switch { long l3 => l3, double dd => (long)dd, string s3 when long.TryParse(s3.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p, bool b => b ? 1L : 0L, _ => a.Count > 0 ? a[0] : 0L },
        "float" => v switch { long l4 => (double)l4, double d2 => d2, string s4 when double.TryParse(s4.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var q) => q, _ => 0.0 },
        "abs" => v is long l5 ? (object)Math.Abs(l5) : Math.Abs(Values.ToDouble(v)),
        "round" => Math.Round(Values.ToDouble(v), a.Count > 0 ? (int)(long)a[0]! : 0, MidpointRounding.ToEven),
        "replace" => Str(v, name, pos).Replace((string)a[0]!, (string)a[1]!, StringComparison.Ordinal),
        "unique" => Values.Iterate(v).Aggregate(new List<object?>(), (acc, x) => { if (!acc.Any(y => Values.AreEqual(x, y))) acc.Add(x); return acc; }),
        "sum" => Values.Iterate(v).Aggregate((object?)0L, (acc, x) => Operators.Apply("+", acc, x, pos)),
        "sort" => Sort(v, kw),
        "map" => Values.Iterate(v).Select(x => kw.GetValueOrDefault("attribute") is string attr ? Access.Attribute(x, attr) : Apply((string)a[0]!, x, [.. a.Skip(1)], kw, pos)).ToList(),
        "select" or "reject" => Values.Iterate(v).Where(x => (a.Count == 0 ? Values.IsTruthy(x) : Tests.Apply((string)a[0]!, x, [.. a.Skip(1)], pos)) == (name == "select")).ToList(),
        "selectattr" or "rejectattr" => Values.Iterate(v).Where(x =>
        {
            var attrValue = Access.Attribute(x, (string)a[0]!);
            var ok = a.Count == 1 ? Values.IsTruthy(attrValue) : Tests.Apply((string)a[1]!, attrValue, [.. a.Skip(2)], pos);
            return ok == (name == "selectattr");
        }).ToList(),
        "indent" => Indent(Str(v, name, pos), a.Count > 0 ? (int)(long)a[0]! : kw.GetValueOrDefault("width") is long w ? (int)w : 4, Bool(a, 1, kw, "first"), Bool(a, 2, kw, "blank")),
        _ => throw new TemplateException($"unsupported filter '{name}' at {pos}; supported: {Supported}"),
    };

    public static string Title(string s)
    {
        var chars = s.ToCharArray();
        var startOfWord = true;
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = startOfWord ? char.ToUpperInvariant(chars[i]) : char.ToLowerInvariant(chars[i]);
            startOfWord = !char.IsLetterOrDigit(chars[i]);
        }
        return new string(chars);
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static string Str(object? v, string filter, SourcePosition pos) => v switch
    {
        string s => s,
        Undefined => string.Empty,
        _ => Values.ToOutput(v),
    };

    private static bool Bool(IReadOnlyList<object?> a, int index, IReadOnlyDictionary<string, object?> kw, string name) =>
        kw.TryGetValue(name, out var k) ? Values.IsTruthy(k) : a.Count > index && Values.IsTruthy(a[index]);

    private static TemplateException Need(string what, object? v, string filter, SourcePosition pos) =>
        new($"filter '{filter}' needs {what}, got {Values.TypeName(v)} at {pos}");

    private static List<object?> Sort(object? v, IReadOnlyDictionary<string, object?> kw)
    {
        var items = Values.Iterate(v).ToList();
        var attr = kw.GetValueOrDefault("attribute") as string;
        items.Sort((x, y) => Values.Compare(attr is null ? x : Access.Attribute(x, attr), attr is null ? y : Access.Attribute(y, attr)));
        if (kw.TryGetValue("reverse", out var r) && Values.IsTruthy(r)) items.Reverse();
        return items;
    }

    private static string Indent(string s, int width, bool first, bool blank)
    {
        var pad = new string(' ', width);
        var lines = s.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if ((i == 0 && !first) || (!blank && lines[i].Trim().Length == 0)) continue;
            lines[i] = pad + lines[i];
        }
        return string.Join('\n', lines);
    }
}
