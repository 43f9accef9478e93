using System.Collections.Concurrent;
using System.Diagnostics;

namespace Cluster.ClusterState.Redis;

/// <summary>
/// Starts a process that is killed (SIGKILL) when this process dies, even by kill -9: on Linux with util-linux
/// <c>setpriv --pdeathsig KILL</c> in front of it. The kernel sends that signal when the <em>thread</em> that forked the
/// child exits, so every such start runs on one dedicated thread that lives as long as this process (a thread-pool
/// thread may retire and would kill the child with it). Elsewhere, or without setpriv, a plain start.
/// </summary>
internal static class DieWithParent
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Pending = [];
    private static readonly string? Setpriv = OperatingSystem.IsLinux()
        ? new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists)
        : null;

    static DieWithParent()
    {
        new Thread(Run) { IsBackground = true, Name = "die-with-parent spawner" }.Start();
    }

    /// <summary>Starts <paramref name="info"/> (its file and arguments moved behind setpriv when available).</summary>
    public static Task<Process> StartAsync(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (Setpriv is null)
        {
            return Task.FromResult(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}."));
        }

        var args = info.ArgumentList.ToArray();
        info.ArgumentList.Clear();
        foreach (var arg in new[] { "--pdeathsig", "KILL", "--", info.FileName }.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        info.FileName = Setpriv;
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Pending.Add((info, started));
        return started.Task;
    }

    private static void Run()
    {
        foreach (var (info, started) in Pending.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}."));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
