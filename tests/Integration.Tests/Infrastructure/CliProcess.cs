using System.Diagnostics;
using Cluster.Cli.Up;

namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>The built <c>cluster</c> command as users run it: a real process, its exit code and its stdout + stderr.</summary>
internal static class CliProcess
{
    public static Task<(int Exit, string Output)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync(string[])"/>, with <paramref name="environment"/> added to the process's environment (secrets go here, never in arguments).</summary>
    public static async Task<(int Exit, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(ExecutableLocator.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.ArgumentList.Add(ExecutableLocator.FromBaseDirectory().CliDll());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var cts = Deadline.ForTest();
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
