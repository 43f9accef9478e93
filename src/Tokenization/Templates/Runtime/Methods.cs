namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>The Python str and dict methods chat templates call (message.content.strip(), .split('x')[-1], .items()...).</summary>
internal static class Methods
{
    public static JinjaCallable? ForString(string s, string name) => name switch
    {
        "strip" => (a, _) => Strip(s, Arg(a, 0), true, true),
        "lstrip" => (a, _) => Strip(s, Arg(a, 0), true, false),
        "rstrip" => (a, _) => Strip(s, Arg(a, 0), false, true),
        "upper" => (_, _) => s.ToUpperInvariant(),
        "lower" => (_, _) => s.ToLowerInvariant(),
        "title" => (_, _) => Filters.Title(s),
        "capitalize" => (_, _) => Filters.Capitalize(s),
        "startswith" => (a, _) => Prefixes(a).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => (a, _) => Prefixes(a).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        "split" => (a, _) => Split(s, Arg(a, 0), a.Count > 1 ? (long)a[1]! : -1),
        "replace" => (a, _) => s.Replace((string)a[0]!, (string)a[1]!, StringComparison.Ordinal),
        "find" => (a, _) => (long)s.IndexOf((string)a[0]!, StringComparison.Ordinal),
        "count" => (a, _) => (long)CountOf(s, (string)a[0]!),
        "join" => (a, _) => string.Join(s, Values.Iterate(a[0]).Select(Values.ToOutput)),
        "isdigit" => (_, _) => s.Length > 0 && s.All(char.IsDigit),
        "isspace" => (_, _) => s.Length > 0 && s.All(char.IsWhiteSpace),
        "splitlines" => (_, _) => s.Split('\n').Select(x => (object?)x.TrimEnd('\r')).ToList(),
        _ => null,
    };

    public static JinjaCallable? ForDict(OrderedDictionary<string, object?> d, string name) => name switch
    {
        "items" => (_, _) => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList(),
        "keys" => (_, _) => d.Keys.Select(k => (object?)k).ToList(),
        "values" => (_, _) => d.Values.ToList(),
        "get" => (a, _) => a.Count > 0 && a[0] is string k && d.TryGetValue(k, out var v) ? v : a.Count > 1 ? a[1] : null,
        _ => null,
    };

    private static string? Arg(IReadOnlyList<object?> a, int i) => a.Count > i ? a[i] as string : null;

    private static IEnumerable<string> Prefixes(IReadOnlyList<object?> a) => a.Count == 0 ? [] : a[0] switch
    {
        string p => [p],
        List<object?> l => l.OfType<string>(),
        _ => throw new TemplateException("startswith/endswith need a string or a tuple of strings"),
    };

    private static string Strip(string s, string? chars, bool left, bool right)
    {
        if (chars is null) return left && right ? s.Trim() : left ? s.TrimStart() : s.TrimEnd();
        var set = chars.ToCharArray();
        return left && right ? s.Trim(set) : left ? s.TrimStart(set) : s.TrimEnd(set);
    }

    private static List<object?> Split(string s, string? sep, long maxSplit)
    {
        if (sep is null)
        {
            var parts = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return [.. parts];
        }
        if (sep.Length == 0) throw new TemplateException("split: empty separator");
        var count = maxSplit < 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, maxSplit + 1);
        return [.. s.Split(sep, count, StringSplitOptions.None)];
    }

    private static int CountOf(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        var n = 0;
        for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
