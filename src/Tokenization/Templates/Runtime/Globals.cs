using System.Globalization;

namespace Cluster.Tokenization.Templates.Runtime;

/// <summary>Global functions available to chat templates: range, namespace, dict, raise_exception, strftime_now.</summary>
internal static class Globals
{
    public static void Install(Scope scope, TimeProvider clock)
    {
        scope.Set("range", (JinjaCallable)Range);
        scope.Set("namespace", (JinjaCallable)((a, kw) =>
        {
            var ns = new Namespace();
            if (a.Count > 0 && a[0] is OrderedDictionary<string, object?> init) foreach (var kv in init) ns[kv.Key] = kv.Value;
            foreach (var kv in kw) ns[kv.Key] = kv.Value;
            return ns;
        }));
        scope.Set("dict", (JinjaCallable)((_, kw) =>
        {
            var d = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
            foreach (var kv in kw) d[kv.Key] = kv.Value;
            return d;
        }));
        scope.Set("raise_exception", (JinjaCallable)((a, _) =>
            throw new TemplateException(a.Count > 0 ? Values.ToOutput(a[0]) : "raise_exception called") { RaisedByTemplate = true }));
        scope.Set("strftime_now", (JinjaCallable)((a, _) => StrFTime(clock.GetLocalNow(), a.Count > 0 ? (string)a[0]! : "%Y-%m-%d")));
    }

    private static object? Range(IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> kw)
    {
        long start = 0, stop, step = 1;
        if (a.Count == 1) stop = (long)a[0]!;
        else { start = (long)a[0]!; stop = (long)a[1]!; if (a.Count > 2) step = (long)a[2]!; }
        if (step == 0) throw new TemplateException("range() step must not be zero");
        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step) result.Add(i);
        return result;
    }

    /// <summary>The strftime directives chat templates use (%d %b %B %Y %m %H %M %S %y %a %A %j).</summary>
    private static string StrFTime(DateTimeOffset t, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            sb.Append(format[++i] switch
            {
                'd' => t.ToString("dd", inv), 'm' => t.ToString("MM", inv), 'Y' => t.ToString("yyyy", inv), 'y' => t.ToString("yy", inv),
                'b' => t.ToString("MMM", inv), 'B' => t.ToString("MMMM", inv), 'a' => t.ToString("ddd", inv), 'A' => t.ToString("dddd", inv),
                'H' => t.ToString("HH", inv), 'M' => t.ToString("mm", inv), 'S' => t.ToString("ss", inv), 'j' => t.DayOfYear.ToString("000", inv),
                '%' => "%",
                var c => throw new TemplateException($"strftime_now: unsupported directive '%{c}'"),
            });
        }
        return sb.ToString();
    }
}
