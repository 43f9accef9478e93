using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cluster.ClusterState.Redis;

/// <summary>
/// A throw-away redis-server on 127.0.0.1 (no persistence) for tests, benchmarks and <c>cluster up --redis</c>:
/// started on a free port, ready when it prints "Ready to accept connections", stoppable and restartable on the same port.
/// With a <see cref="Password"/> it requires AUTH (<c>requirepass</c>, given on its stdin as a config file: never on its command line).
/// It dies with the process that started it, also on kill -9 (<see cref="DieWithParent"/>).
/// </summary>
public sealed class LocalRedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly string _executable;
    private Process? _process;
    private Task? _drain;

    private LocalRedisServer(string executable, int port, string? password)
    {
        _executable = executable;
        Port = port;
        Password = password;
    }

    /// <summary>The TCP port it listens on.</summary>
    public int Port { get; }

    /// <summary>The password it requires (null: none). Not part of <see cref="ConnectionString"/>, so that string may be shown or logged.</summary>
    public string? Password { get; }

    /// <summary>StackExchange.Redis configuration string for it (without the password).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The process id while it runs (tests read its command line).</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts redis-server (REDIS_SERVER when set, else from PATH) on a free port. Throws, saying how to install it, when it is missing.</summary>
    public static Task<LocalRedisServer> StartAsync(CancellationToken cancellationToken = default) => StartAsync(password: null, cancellationToken);

    /// <summary>As <see cref="StartAsync(CancellationToken)"/>, requiring <paramref name="password"/> (null or empty: none).</summary>
    public static async Task<LocalRedisServer> StartAsync(string? password, CancellationToken cancellationToken = default)
    {
        var executable = (Environment.GetEnvironmentVariable("REDIS_SERVER") is { Length: > 0 } given ? given : FindOnPath("redis-server")) ?? throw new InvalidOperationException(
            "redis-server is not installed (not on PATH). Install it: apt-get install -y redis-server (Debian 7.0 is what CI uses), or set REDIS_SERVER=/path/to/redis-server.");
        if (password is { Length: > 0 } && password.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\'))
        {
            throw new ArgumentException("The redis-server password must not contain spaces, quotes or backslashes.", nameof(password));
        }

        var server = new LocalRedisServer(executable, FreePort(), string.IsNullOrEmpty(password) ? null : password);
        await server.RestartAsync(cancellationToken).ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts the process again on the same port (after <see cref="StopAsync"/>), with empty state.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"redis-server on port {Port} is already running; stop it first.");
        }

        var info = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };

        // "-" first: redis-server reads a config file from stdin (the password), then applies the options that follow.
        foreach (var arg in new[] { "-", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = await DieWithParent.StartAsync(info).ConfigureAwait(false); // no orphan when its owner is killed
        _process = process;
        if (Password is not null)
        {
            await process.StandardInput.WriteLineAsync($"requirepass {Password}").ConfigureAwait(false);
        }

        process.StandardInput.Close();
        var output = new StringBuilder();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false) is { } line)
            {
                output.AppendLine(line);
                if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
                {
                    _drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(CancellationToken.None), process.StandardError.ReadToEndAsync(CancellationToken.None));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // fall through: not ready in time
        }

        await StopAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"redis-server on port {Port} did not become ready within {StartTimeout.TotalSeconds} s. Its output:\n{output}");
    }

    /// <summary>Kills the process (as a crash would) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync().ConfigureAwait(false);
        if (_drain is not null)
        {
            await _drain.ConfigureAwait(false);
            _drain = null;
        }

        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    // Below the ephemeral range: a restart on the same port cannot find it taken by some outgoing connection.
    private static int FreePort() => Cluster.Core.Net.LoopbackPorts.Resolve(0);

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
