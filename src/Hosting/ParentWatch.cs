using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Hosting;

/// <summary>
/// Children die with their parent: when <c>Hosting:ParentPid</c> is set (by <c>cluster up</c> for its child roles), the
/// host stops itself once that process is gone, checked every <see cref="Interval"/>. On Linux "gone" means this
/// process was re-parented (its ppid in <c>/proc/self/stat</c> is no longer that pid), which survives pid reuse and
/// also covers kill -9 of the parent; elsewhere, no process with that pid exists. Chosen over
/// <c>PR_SET_PDEATHSIG</c>, which fires when the parent's forking <em>thread</em> exits (a .NET thread-pool thread may).
/// </summary>
public sealed partial class ParentWatch(IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<ParentWatch> logger) : BackgroundService
{
    public const string Key = "Hosting:ParentPid";
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(configuration[Key], NumberStyles.Integer, CultureInfo.InvariantCulture, out var parent) || parent <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (Alive(parent))
            {
                await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return; // host stopping
        }

        LogParentGone(logger, parent);
        lifetime.StopApplication();
    }

    /// <summary>True while <paramref name="parent"/> is still this process's parent (Linux) or exists (elsewhere).</summary>
    public static bool Alive(int parent)
    {
        if (OperatingSystem.IsLinux())
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": state, ppid, ...
            return int.Parse(fields[1], CultureInfo.InvariantCulture) == parent;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(parent);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The parent process {Pid} (cluster up) is gone: stopping this role")]
    private static partial void LogParentGone(ILogger logger, int pid);
}
