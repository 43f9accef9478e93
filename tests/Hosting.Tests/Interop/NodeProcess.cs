using System.Diagnostics;

namespace Cluster.Hosting.Tests.Interop;

/// <summary>
/// A node script from tests/interop, started by a test, bounded in time and killed (with its children) at the
/// end. Fails the test, never skips it, when the npm packages are not installed.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Signal)> _waiters = [];
    private readonly System.Text.StringBuilder _stderr = new();

    private NodeProcess(Process process)
    {
        _process = process;
    }

    public static string InteropDirectory { get; } = FindInteropDirectory();

    /// <summary>Runs a script to its end and returns its stdout; fails on a non-zero exit or a timeout.</summary>
    public static async Task<string> RunAsync(string script, params string[] args)
    {
        await using var node = Start(script, args);
        using var cts = new CancellationTokenSource(RunTimeout);
        try
        {
            await node._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"node {script} {string.Join(' ', args)} did not finish within {RunTimeout}. stderr: {node.Stderr}");
        }

        node._process.WaitForExit();
        Assert.True(node._process.ExitCode == 0, $"node {script} {string.Join(' ', args)} exited with {node._process.ExitCode}. stderr: {node.Stderr}");
        lock (node._lines)
        {
            return string.Join('\n', node._lines);
        }
    }

    /// <summary>Starts a long-running script (a server); dispose closes its stdin and kills it if needed.</summary>
    public static NodeProcess Start(string script, params string[] args)
    {
        EnsureInstalled();
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = InteropDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(InteropDirectory, script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var node = new NodeProcess(process);
        process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (node._stderr)
            {
                node._stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The first stdout line (already printed or still to come) that matches; bounded.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        var signal = Bounded.NewSignal<string>();
        lock (_lines)
        {
            var existing = _lines.FirstOrDefault(match);
            if (existing is not null)
            {
                return Task.FromResult(existing);
            }

            _waiters.Add((match, signal));
        }

        return signal.Task.WaitAsync(Bounded.Timeout);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // Falls through to the kill below.
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Signal.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private static void EnsureInstalled()
    {
        var grpcJs = Path.Combine(InteropDirectory, "node_modules", "@grpc", "grpc-js", "package.json");
        Assert.True(
            File.Exists(grpcJs),
            $"The interop tests need @grpc/grpc-js in {InteropDirectory}/node_modules: run `npm ci --prefix tests/interop` from the repository root.");
    }

    private static string FindInteropDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "interop");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"tests/interop/package.json not found above {AppContext.BaseDirectory}.");
    }
}
