using System.Diagnostics;

namespace Cluster.Router.Tests.Api.Infrastructure;

/// <summary>Runs a node script of tests/interop/openai to its end (bounded) and returns its stdout.</summary>
internal static class NodeScript
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    public static string RepositoryRoot { get; } = FindRoot();

    public static string OpenAiDirectory => Path.Combine(RepositoryRoot, "tests", "interop", "openai");

    /// <summary>Fails (never skips) the test with the install command when <paramref name="package"/> is missing.</summary>
    public static void EnsureInstalled(string nodeModules, string package, string installCommand) =>
        Assert.True(File.Exists(Path.Combine(nodeModules, package, "package.json")),
            $"This test needs the npm package '{package}' in {nodeModules}: run `{installCommand}` from the repository root.");

    public static async Task<string> RunAsync(string script, params string[] args)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = OpenAiDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(OpenAiDirectory, script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node {script} did not finish within {RunTimeout}. stderr: {await stderr}");
        }

        Assert.True(process.ExitCode == 0, $"node {script} exited with {process.ExitCode}. stderr: {await stderr}");
        return await stdout;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "tests", "interop", "openai", "package.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"tests/interop/openai/package.json not found above {AppContext.BaseDirectory}.");
    }
}
