using System.Diagnostics;

namespace Cluster.Cli.Up;

/// <summary>
/// One role started as a child process (<c>dotnet Cluster.X.dll args</c>), its output appended to a log file. The child
/// gets <c>Hosting:ParentPid</c> (this process) and stops itself when this process is gone (<c>Cluster.Hosting.ParentWatch</c>).
/// Once <see cref="Supervise"/> is called, an unexpected exit is reported and the role restarted after a backoff
/// (<see cref="RestartBackoff"/>: 0.5 s doubling to 10 s, reset after a run of 30 s); <see cref="KillAsync"/> and <see cref="DisposeAsync"/> stop it for good.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly ProcessStartInfo _info;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    private readonly Lock _stateLock = new();
    private readonly CancellationTokenSource _stopped = new();
    private Process _process = null!;
    private long _startedAt;
    private readonly RestartBackoff _backoff = new();
    private Action<string>? _report;

    private ChildProcess(string name, ProcessStartInfo info, StreamWriter log, string logPath)
    {
        Name = name;
        _info = info;
        _log = log;
        LogPath = logPath;
    }

    /// <summary>e.g. <c>router</c>, <c>prefill-1</c>.</summary>
    public string Name { get; }

    public string LogPath { get; }

    /// <summary>The pid of the current process (a restart changes it).</summary>
    public int Id
    {
        get
        {
            lock (_stateLock)
            {
                return _process.Id;
            }
        }
    }

    public bool HasExited
    {
        get
        {
            lock (_stateLock)
            {
                return _process.HasExited;
            }
        }
    }

    /// <summary>How many times the role was restarted.</summary>
    public int Restarts { get; private set; }

    /// <summary>
    /// Starts <paramref name="dll"/> with the dotnet host; stdout and stderr go to <paramref name="logPath"/>.
    /// <paramref name="environment"/> (secrets) is added to its environment, which only its user can read, unlike its command line.
    /// </summary>
    public static ChildProcess Start(string name, string dll, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(ExecutableLocator.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Hosting__ParentPid"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var child = new ChildProcess(name, info, log, logPath);
        try
        {
            child.Launch();
        }
        catch
        {
            log.Dispose();
            throw;
        }

        return child;
    }

    /// <summary>From now on an unexpected exit is reported to <paramref name="report"/> and the role restarted with backoff.</summary>
    public void Supervise(Action<string> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_stateLock)
        {
            _report = report;
            if (_process.HasExited)
            {
                _ = RestartAsync(_process);
            }
        }
    }

    /// <summary>Kills the process (and anything it started) for good, as a crash would, and waits until it has exited.</summary>
    public async Task KillAsync()
    {
        Process process;
        lock (_stateLock)
        {
            _stopped.Cancel(); // no restart after this
            process = _process;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // exited between the check and the kill
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>The last <paramref name="lines"/> lines of the log (for error messages).</summary>
    public string LogTail(int lines = 30)
    {
        lock (_logLock)
        {
            _log.Flush();
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(log unreadable: {e.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        lock (_logLock)
        {
            _log.Dispose();
        }

        lock (_stateLock)
        {
            _process.Dispose();
        }
    }

    /// <summary>Starts a process from the saved start info (under <see cref="_stateLock"/> or before sharing).</summary>
    private void Launch()
    {
        var process = new Process { StartInfo = _info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Exited += (_, _) => OnExited(process);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {Name} ({_info.FileName} {_info.ArgumentList[0]}).");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _startedAt = Stopwatch.GetTimestamp();
    }

    private void OnExited(Process process)
    {
        lock (_stateLock)
        {
            if (_report is null || _stopped.IsCancellationRequested || !ReferenceEquals(process, _process))
            {
                return; // not supervised yet (start-up reports it), stopped on purpose, or an old process
            }

            _ = RestartAsync(process);
        }
    }

    /// <summary>Reports the exit, waits the <see cref="RestartBackoff"/> delay and starts the role again.</summary>
    private async Task RestartAsync(Process exited)
    {
        var ran = Stopwatch.GetElapsedTime(_startedAt);
        var delay = _backoff.Next(ran);
        var code = exited.HasExited ? exited.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";
        _report!($"cluster up: {Name} (pid {exited.Id}) exited unexpectedly with code {code} after {ran.TotalSeconds:F1} s; restarting it in {delay.TotalSeconds:0.0} s");
        try
        {
            await Task.Delay(delay, _stopped.Token).ConfigureAwait(false);
            lock (_stateLock)
            {
                _stopped.Token.ThrowIfCancellationRequested();
                Launch();
                exited.Dispose();
                Restarts++;
                _report($"cluster up: {Name} restarted (pid {_process.Id}, restart #{Restarts})");
            }
        }
        catch (OperationCanceledException)
        {
            // cluster up is stopping
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            _report($"cluster up: {Name} could not be restarted: {e.Message}");
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // output after dispose: dropped
            }
        }
    }
}
