namespace Cluster.Deploy.Tests.Infrastructure;

/// <summary>
/// The offline Helm renderer (renderer/render.go: Go text/template + sprig, GOPATH mode against Debian's Go packages),
/// built once per test run.
/// </summary>
internal static class ChartRenderer
{
    public const string Release = "cluster";
    public const string Namespace = "llm";

    /// <summary>Left out of golden renders: it follows whatever deploy/grafana holds (DashboardTests checks it).</summary>
    public const string DashboardsTemplate = "templates/grafana-dashboards.yaml";

    private const string GoHint = "apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev (./cluster.sh setup)";
    private static readonly Lazy<string> Binary = new(BuildRenderer, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Renders <paramref name="chart"/> (default: deploy/helm/cluster) with the values files given.</summary>
    public static Tool.Result Render(IEnumerable<string> valuesFiles, string? chart = null, string release = Release,
        bool notes = false, IEnumerable<string>? exclude = null, string @namespace = Namespace)
    {
        var args = new List<string> { "--chart", chart ?? Repo.Chart, "--name", release, "--namespace", @namespace };
        foreach (var f in valuesFiles)
        {
            args.AddRange(["-f", f]);
        }

        foreach (var e in exclude ?? [])
        {
            args.AddRange(["--exclude", e]);
        }

        if (notes)
        {
            args.Add("--notes");
        }

        return Tool.Run(Binary.Value, args);
    }

    /// <summary>Renders and fails the test when the renderer fails.</summary>
    public static RenderedChart RenderOk(params string[] valuesFiles) => RenderOk(valuesFiles, chart: null);

    public static RenderedChart RenderOk(IEnumerable<string> valuesFiles, string? chart, string release = Release, string @namespace = Namespace)
    {
        var result = Render(valuesFiles, chart, release, @namespace: @namespace);
        Assert.True(result.ExitCode == 0, $"render failed: {result}");
        return RenderedChart.Parse(result.Output);
    }

    /// <summary>Renders one example and the values given after it (temporary files of YAML text).</summary>
    public static RenderedChart RenderExample(string example, params string[] overrides)
    {
        using var files = new TempValues(overrides);
        return RenderOk([Repo.Example(example), .. files.Paths], chart: null);
    }

    private static string BuildRenderer()
    {
        var dir = Directory.CreateTempSubdirectory("deploy-renderer-").FullName;
        var binary = Path.Combine(dir, "render");
        var result = Tool.Run("go", ["build", "-o", binary, Path.Combine(Repo.TestProject, "renderer", "render.go")],
            environment: new Dictionary<string, string>
            {
                ["GO111MODULE"] = "off",
                ["GOPATH"] = "/usr/share/gocode",
                ["GOCACHE"] = Path.Combine(dir, "cache"),
                ["GOFLAGS"] = "",
            },
            installHint: GoHint);
        Assert.True(result.ExitCode == 0, $"go build of the renderer failed ({GoHint}): {result}");
        return binary;
    }
}
