namespace Cluster.Cli.Up;

/// <summary>
/// Finds the built Router, PrefillWorker and DecodeWorker executables: <c>src/{Host}/bin/{Configuration}/{tfm}/Cluster.{Host}.dll</c>
/// under the repository root (the folder holding Cluster.sln above this assembly), with the configuration and target
/// framework this assembly was built with; else the host's dll beside this assembly (a <c>dotnet publish</c> of the Cli
/// carries each referenced host with its runtimeconfig.json, e.g. on a GPU machine). Builds nothing.
/// </summary>
public sealed class ExecutableLocator
{
    public const string RouterHost = "Router";
    public const string PrefillHost = "PrefillWorker";
    public const string DecodeHost = "DecodeWorker";

    private readonly string _configuration;
    private readonly string _framework;
    private readonly string? _besideDirectory;

    public ExecutableLocator(string repositoryRoot, string configuration, string framework, string? besideDirectory = null)
    {
        RepositoryRoot = repositoryRoot;
        _configuration = configuration;
        _framework = framework;
        _besideDirectory = besideDirectory;
    }

    public string RepositoryRoot { get; }

    /// <summary>From <see cref="AppContext.BaseDirectory"/> (…/bin/Release/net10.0/): the repository above it, same configuration.</summary>
    public static ExecutableLocator FromBaseDirectory(string? baseDirectory = null)
    {
        var dir = new DirectoryInfo(baseDirectory ?? AppContext.BaseDirectory);
        var framework = dir.Name;
        var configuration = dir.Parent?.Name ?? "Release";
        for (var d = dir; d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Cluster.sln")))
            {
                return new ExecutableLocator(d.FullName, configuration, framework, dir.FullName);
            }
        }

        throw new InvalidOperationException(
            $"No Cluster.sln above {dir.FullName}: run from a built checkout (dotnet build Cluster.sln -c Release) to start roles as processes.");
    }

    /// <summary>Path of a host's dll (built in the repository, else published beside this assembly); throws, saying how to build it, when missing.</summary>
    public string Dll(string host)
    {
        var path = Path.Combine(RepositoryRoot, "src", host, "bin", _configuration, _framework, $"Cluster.{host}.dll");
        var beside = _besideDirectory is null ? null : Path.Combine(_besideDirectory, $"Cluster.{host}.dll");
        if (!File.Exists(path) && beside is not null && File.Exists(beside) && File.Exists(Path.ChangeExtension(beside, ".runtimeconfig.json")))
        {
            return beside;
        }

        return File.Exists(path) ? path : throw new FileNotFoundException(
            $"{path} is missing: build it first (dotnet build Cluster.sln -c {_configuration}).", path);
    }

    /// <summary>Path of the <c>cluster</c> command's dll (src/Cli).</summary>
    public string CliDll()
    {
        var path = Path.Combine(RepositoryRoot, "src", "Cli", "bin", _configuration, _framework, "cluster.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: build it first (dotnet build Cluster.sln -c {_configuration}).", path);
    }

    /// <summary>The <c>dotnet</c> muxer running this process, else DOTNET_HOST_PATH, else <c>dotnet</c> from PATH.</summary>
    public static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
