using System.Diagnostics;
using System.Text.Json;

namespace Cluster.Engine.Tests;

/// <summary>Runs tests/reference/llama_reference.py (the independent implementation) with a Python that has torch.</summary>
internal static class ReferenceRunner
{
    /// <summary>Only bounds a hang: importing torch and running the tiny model takes seconds, more on a loaded machine.</summary>
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(300);

    public sealed record Expected(int[] Tokens, float[][] Logits);

    public static Expected Run(string modelDir, IReadOnlyList<int> prompt, int steps)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "reference", "llama_reference.py");
        var python = FindPython();
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { script, modelDir, "--prompt", string.Join(",", prompt), "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(RunTimeout))
        {
            process.Kill(entireProcessTree: true);   // a hung reference must not hang the test run, nor outlive it
            Assert.Fail($"reference ({python}) did not exit within {RunTimeout.TotalSeconds:F0} s");
        }

        process.WaitForExit();   // the output streams to their end
        Assert.True(process.ExitCode == 0, $"reference failed ({python}): {stderr.Result}");
        using var doc = JsonDocument.Parse(stdout.Result);
        var tokens = doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var logits = doc.RootElement.GetProperty("logits").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray()).ToArray();
        return new Expected(tokens, logits);
    }

    /// <summary>Debian's python3 (with python3-torch) first, then python3 on PATH; fails naming the package.</summary>
    private static string FindPython()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("REFERENCE_PYTHON"), "/usr/bin/python3", "python3" })
        {
            if (string.IsNullOrEmpty(candidate)) continue;
            try
            {
                using var p = Process.Start(new ProcessStartInfo(candidate, "-c \"import torch\"") { RedirectStandardError = true, UseShellExecute = false });
                p!.WaitForExit();
                if (p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed under this name; try the next
            }
        }
        throw new InvalidOperationException("no python3 with torch found for the reference implementation: apt-get install -y python3-torch (or set REFERENCE_PYTHON)");
    }
}
