namespace Cluster.Deploy.Tests.Infrastructure;

/// <summary>YAML texts written to temporary files (values files for a render), deleted on dispose.</summary>
internal sealed class TempValues : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deploy-values-").FullName;

    public TempValues(params string[] yamlTexts)
    {
        Paths = yamlTexts.Select((text, i) =>
        {
            var path = Path.Combine(_dir, $"values-{i}.yaml");
            File.WriteAllText(path, text);
            return path;
        }).ToList();
    }

    public IReadOnlyList<string> Paths { get; }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
