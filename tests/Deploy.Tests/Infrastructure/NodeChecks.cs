using System.Text.Json;

namespace Cluster.Deploy.Tests.Infrastructure;

/// <summary>tests/deploy/check.js: npm kubernetes-models, @kubernetes-models/prometheus-operator and ajv, run by node.</summary>
internal static class NodeChecks
{
    public sealed record Outcome(string File, string Name, bool Ok, IReadOnlyList<string> Errors)
    {
        public override string ToString() => $"{Name} ({Path.GetFileName(File)}): {(Ok ? "ok" : string.Join("; ", Errors))}";
    }

    /// <summary>Validates every object of each YAML file against the Kubernetes / prometheus-operator schemas.</summary>
    public static IReadOnlyList<Outcome> Manifests(IEnumerable<string> files) => Run(["manifests", .. files]);

    /// <summary>Validates each values file, merged over the chart's values.yaml, against values.schema.json.</summary>
    public static IReadOnlyList<Outcome> Schema(IEnumerable<string> files) =>
        Run(["schema", Path.Combine(Repo.Chart, "values.schema.json"), Path.Combine(Repo.Chart, "values.yaml"), .. files]);

    private static List<Outcome> Run(IEnumerable<string> args)
    {
        var script = Path.Combine(Repo.NodeChecks, "check.js");
        Assert.True(Directory.Exists(Path.Combine(Repo.NodeChecks, "node_modules")),
            $"{Repo.NodeChecks}/node_modules is missing: run ./cluster.sh setup (npm ci there).");
        var result = Tool.Run("node", [script, .. args], installHint: "install node 20");
        Assert.True(result.ExitCode == 0, $"check.js failed: {result}");
        using var json = JsonDocument.Parse(result.Output);
        return [.. json.RootElement.GetProperty("results").EnumerateArray().Select(r => new Outcome(
            r.GetProperty("file").GetString()!,
            r.GetProperty("name").GetString()!,
            r.GetProperty("ok").GetBoolean(),
            [.. r.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!)]))];
    }
}
