using Cluster.Deploy.Tests.Infrastructure;

namespace Cluster.Deploy.Tests;

/// <summary>
/// The dashboards ConfigMaps come from whatever *.json deploy/grafana holds (the chart's dashboards/ is a link to it,
/// read with .Files.Glob), one ConfigMap per file, labelled for Grafana's sidecar.
/// </summary>
public sealed class DashboardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deploy-dashboards-").FullName;

    [Fact]
    public void ChartDashboardsFolder_IsTheGrafanaFolder()
    {
        var link = new DirectoryInfo(Path.Combine(Repo.Chart, "dashboards"));
        Assert.Equal(Path.GetFullPath(Repo.Grafana), Path.GetFullPath(Path.Combine(Repo.Chart, link.LinkTarget!)));
    }

    [Fact]
    public void Monitoring_OneConfigMapPerDashboardFile_LabelledForTheSidecar()
    {
        var chart = CopyChartWithDashboards(new()
        {
            ["cluster-overview.json"] = """{"title": "Cluster overview", "panels": []}""",
            ["KV_transfer.json"] = "{\n  \"title\": \"KV transfer\"\n}",
        });
        var maps = ChartRenderer.RenderOk([Repo.Example("monitoring")], chart).ConfigMaps.ToList();
        Assert.Equal(["cluster-dashboard-cluster-overview", "cluster-dashboard-kv-transfer"], maps.Select(m => m.Metadata.Name).Order());
        Assert.All(maps, m =>
        {
            Assert.Equal("1", m.Metadata.Labels["grafana_dashboard"]);
            Assert.Equal("Cluster", m.Metadata.Annotations["grafana_folder"]);
        });
        Assert.Equal("{\n  \"title\": \"KV transfer\"\n}", maps.Single(m => m.Metadata.Name.EndsWith("kv-transfer", StringComparison.Ordinal)).Data["KV_transfer.json"]);

        var off = ChartRenderer.RenderOk([Repo.Example("tiny-cpu")], chart);
        Assert.Empty(off.ConfigMaps);
    }

    [Fact]
    public void Monitoring_RealDashboards_AreShippedUnchanged()
    {
        var files = Directory.GetFiles(Repo.Grafana, "*.json");
        var maps = ChartRenderer.RenderOk(Repo.Example("monitoring")).ConfigMaps.ToList();
        Assert.Equal(files.Length, maps.Count);
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            Assert.Equal(File.ReadAllText(file).TrimEnd('\n'), maps.Single(m => m.Data.ContainsKey(name)).Data[name].TrimEnd('\n'));
        }
    }

    /// <summary>A copy of the chart whose dashboards/ holds the given files instead of the link.</summary>
    private string CopyChartWithDashboards(Dictionary<string, string> dashboards)
    {
        var chart = Path.Combine(_dir, "cluster");
        foreach (var file in Directory.GetFiles(Repo.Chart, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Repo.Chart, file);
            if (relative.StartsWith("dashboards", StringComparison.Ordinal))
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(chart, relative))!);
            File.Copy(file, Path.Combine(chart, relative));
        }

        Directory.CreateDirectory(Path.Combine(chart, "dashboards"));
        foreach (var (name, text) in dashboards)
        {
            File.WriteAllText(Path.Combine(chart, "dashboards", name), text);
        }

        return chart;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
