using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>The Grafana dashboards in deploy/grafana: every panel query, with the dashboard variables substituted.</summary>
internal static partial class Dashboards
{
    /// <summary>The rate window used in place of <c>$__rate_interval</c> (Prometheus scrapes every second in the tests).</summary>
    public const string RateWindow = "1m";

    public static string Folder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "deploy", "grafana");
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("deploy/grafana not found above the test's folder");
        }
    }

    /// <summary>(dashboard file, panel title, expression as written) for every target of every panel.</summary>
    public static IReadOnlyList<(string File, string Panel, string Expression)> Queries()
    {
        var queries = new List<(string, string, string)>();
        foreach (var file in Directory.GetFiles(Folder, "*.json"))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            Collect(Path.GetFileName(file), json.RootElement.GetProperty("panels"), queries);
        }

        return queries;
    }

    /// <summary>The expression with the variables replaced: every model and role, the tests' rate window.</summary>
    public static string Substitute(string expression) => expression
        .Replace("$__rate_interval", RateWindow, StringComparison.Ordinal)
        .Replace("$model", ".*", StringComparison.Ordinal)
        .Replace("$role", ".*", StringComparison.Ordinal);

    /// <summary>The metric names an expression reads (label matchers, grouping labels, functions and strings left out).</summary>
    public static IEnumerable<string> MetricNames(string expression)
    {
        var bare = Strings().Replace(Matchers().Replace(Grouping().Replace(expression, " "), " "), " ");
        return MetricToken().Matches(bare).Select(m => m.Value).Where(n => !n.StartsWith("histogram_", StringComparison.Ordinal)).Distinct();
    }

    /// <summary>
    /// Names the cluster's instruments declare (constants of every <c>*Instruments</c> class, as Prometheus spells them,
    /// with a counter's <c>_total</c>): a dashboard may name an event counter the test load could not trigger (a KV
    /// transfer resume, a rejected frame) only if an instrument declares it.
    /// </summary>
    public static IReadOnlySet<string> DeclaredCounters()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var assembly in new[] { "Cluster.Router", "Cluster.Worker", "Cluster.KvTransfer", "Cluster.ClusterState" }.Select(Assembly.Load))
        {
            foreach (var type in assembly.GetTypes().Where(t => t.Name.EndsWith("Instruments", StringComparison.Ordinal)))
            {
                foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)))
                {
                    var value = (string)field.GetRawConstantValue()!;
                    if (value.StartsWith("cluster.", StringComparison.Ordinal) || value.StartsWith("gen_ai.", StringComparison.Ordinal))
                    {
                        names.Add(value.Replace('.', '_') + "_total");
                    }
                }
            }
        }

        return names;
    }

    private static void Collect(string file, JsonElement panels, List<(string, string, string)> queries)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            if (panel.TryGetProperty("panels", out var nested))
            {
                Collect(file, nested, queries);
            }

            if (panel.TryGetProperty("targets", out var targets))
            {
                foreach (var target in targets.EnumerateArray())
                {
                    queries.Add((file, panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!));
                }
            }
        }
    }

    [GeneratedRegex(@"\b(by|without)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\b(cluster|gen_ai|http|dotnet|kestrel|aspnetcore)_[a-z0-9_]+\b")]
    private static partial Regex MetricToken();
}
