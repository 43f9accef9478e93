using System.Diagnostics;

namespace Cluster.Tokenization.Tests;

/// <summary>Runs a script of the reference directory with node and returns its stdout.</summary>
internal static class NodeRunner
{
    /// <summary>Only bounds a hang: a corpus run takes seconds (tens of seconds with every test assembly running on 2 cores).</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(300);

    public static string Run(string script, string? stdin, params string[] args)
    {
        ReferenceFiles.Require(".package-lock.json");
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = ReferenceFiles.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(RunTimeout))
        {
            process.Kill(entireProcessTree: true);   // a hung node must not hang the test run, nor outlive it
            Assert.Fail($"node {script} {string.Join(' ', args)} did not exit within {RunTimeout.TotalSeconds:F0} s");
        }

        process.WaitForExit();   // the output streams to their end
        var stdout = stdoutTask.GetAwaiter().GetResult();
        var stderr = stderrTask.GetAwaiter().GetResult();
        if (process.ExitCode != 0)
        {
            var tail = stderr.Length > 2000 ? stderr[^2000..] : stderr;
            Assert.Fail($"node {script} {string.Join(' ', args)} exited with {process.ExitCode}: {tail}\n(if packages are missing run `{ReferenceFiles.InstallCommand}`)");
        }
        return stdout;
    }
}
