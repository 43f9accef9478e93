using System.Diagnostics;
using System.Text.Json;
using Cluster.Cli.Up;

namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>
/// Runs a node script against the cluster with the npm packages of a tests/ folder on NODE_PATH, bounded in time,
/// and parses the JSON line it prints last. Fails (never skips) when the packages are not installed.
/// </summary>
internal static class NodeScript
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    public static string RepositoryRoot { get; } = ExecutableLocator.FromBaseDirectory().RepositoryRoot;

    /// <summary>Runs <paramref name="script"/> (a path under the repository) with <paramref name="packagesFolder"/>'s node_modules; returns the last stdout line as JSON.</summary>
    public static async Task<JsonElement> RunAsync(string script, string packagesFolder, string requiredPackage, params string[] args)
    {
        var modules = Path.Combine(RepositoryRoot, packagesFolder, "node_modules");
        Assert.True(File.Exists(Path.Combine(modules, requiredPackage, "package.json")),
            $"{requiredPackage} is not installed in {modules}: run `npm ci --prefix {packagesFolder}` from the repository root (./cluster.sh test does).");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepositoryRoot, script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NODE_PATH"] = modules;
        using var process = Process.Start(info)!;
        using var cts = new CancellationTokenSource(RunTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node {script} did not finish within {RunTimeout.TotalSeconds} s");
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"node {script} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}\n{output}");
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        return JsonDocument.Parse(last).RootElement.Clone();
    }
}
