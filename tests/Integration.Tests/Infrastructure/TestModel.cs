using Cluster.Cli.Up;

namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>The tiny fp32 model every cluster in this assembly serves: generated once per test run into a temporary folder.</summary>
internal static class TestModel
{
    private static readonly Lazy<string> Directory = new(() =>
        ModelCache.EnsureTinyModel(System.IO.Directory.CreateTempSubdirectory("cluster-integration-model-").FullName, out _));

    public const string Id = "tiny";

    public static string Path => Directory.Value;
}
