namespace Cluster.Deploy.Tests.Infrastructure;

/// <summary>Paths of the repository this test assembly was built in.</summary>
internal static class Repo
{
    public static readonly string Root = FindRoot();

    public static string Chart => Path.Combine(Root, "deploy", "helm", "cluster");

    public static string Examples => Path.Combine(Chart, "examples");

    public static string Docker => Path.Combine(Root, "deploy", "docker");

    public static string Grafana => Path.Combine(Root, "deploy", "grafana");

    public static string TestProject => Path.Combine(Root, "tests", "Deploy.Tests");

    public static string Goldens => Path.Combine(TestProject, "goldens");

    /// <summary>npm packages and check.js (tests/deploy, installed by ./cluster.sh setup).</summary>
    public static string NodeChecks => Path.Combine(Root, "tests", "deploy");

    /// <summary>Names of the example values files (without .yaml).</summary>
    public static IEnumerable<string> ExampleNames =>
        Directory.GetFiles(Examples, "*.yaml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static string Example(string name) => Path.Combine(Examples, $"{name}.yaml");

    /// <summary>Configuration and target framework this assembly was built with (…/bin/Release/net10.0/).</summary>
    public static (string Configuration, string Framework) Build
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return (dir.Parent!.Name, dir.Name);
        }
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Cluster.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException($"No Cluster.sln above {AppContext.BaseDirectory}.");
    }
}
