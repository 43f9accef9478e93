using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary><c>cluster up</c> supervision with real processes: a killed role comes back; killing <c>cluster up</c> leaves no role behind.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SupervisionTests(ClusterFixture fixture)
{
    [Fact]
    public async Task DecodeWorkerKilled9_IsRestartedWithALine_AnswersHealthAndServesAgain()
    {
        using var cts = Deadline.ForTest();
        var lines = new ConcurrentQueue<string>();
        await using var cluster = await ProcessCluster.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 1), redisConnection: null,
            Directory.CreateTempSubdirectory("cluster-supervision-logs-").FullName, Deadline.ClusterStart, report: lines.Enqueue);
        using var calls = new ClusterCalls(cluster);
        var decode = cluster.Process("decode-1");
        var before = decode.Id;

        using (var victim = Process.GetProcessById(before))
        {
            victim.Kill(); // SIGKILL, as a crash would; only this process, not through ChildProcess (which would stop supervising it)
        }

        await Deadline.UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("decode-1 restarted", StringComparison.Ordinal))), Deadline.Test, "a restart line for decode-1");
        Assert.Contains(lines, l => l.Contains($"decode-1 (pid {before}) exited unexpectedly with code", StringComparison.Ordinal));
        Assert.NotEqual(before, decode.Id);
        var worker = Assert.Single(cluster.Workers, w => w.Name == "decode-1");
        await ClusterReadiness.WaitHealthyAsync([(worker.Name, worker.Http)], () => null, Deadline.Test, cts.Token);

        var prompt = Prompts.Make(5300, 24);
        var output = await calls.GenerateAsync(calls.Greedy(prompt, 8), cts.Token); // only decode-1 can decode it

        Assert.Equal(fixture.Golden.Greedy(prompt, 8), output.Tokens);
        Assert.Equal(FinishReason.Length, output.Finish);
    }

    [Fact]
    public async Task ClusterUpKilled9_EveryChildRoleAndRedisExit()
    {
        var info = new ProcessStartInfo(ExecutableLocator.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ExecutableLocator.FromBaseDirectory().CliDll(), "up", "--redis", "--model", TestModel.Path, "--grpc-port", "0", "--http-port", "0",
            "--prefill", "1", "--decode", "1", "--log-dir", Directory.CreateTempSubdirectory("cluster-up-kill-").FullName })
        {
            info.ArgumentList.Add(arg);
        }

        using var up = Process.Start(info)!;
        var roles = Array.Empty<int>();
        var others = Array.Empty<int>(); // the local redis-server (setpriv --pdeathsig KILL)
        try
        {
            using var cts = Deadline.ForTest();
            _ = up.StandardError.ReadToEndAsync(cts.Token);
            while (await up.StandardOutput.ReadLineAsync(cts.Token) is { } line && !line.StartsWith("Serving.", StringComparison.Ordinal))
            {
            }

            var children = ChildrenOf(up.Id).ToArray();
            roles = children.Where(p => Command(p).Contains("Cluster.", StringComparison.Ordinal)).ToArray();
            others = children.Except(roles).ToArray();
            Assert.Equal(3, roles.Length); // router, prefill-1, decode-1 (dotnet Cluster.*.dll)
            Assert.Contains(others, p => Command(p).Contains("redis-server", StringComparison.Ordinal));

            up.Kill(); // SIGKILL: no Ctrl+C handling, no ProcessExit
            await up.WaitForExitAsync(cts.Token);

            await Deadline.UntilAsync(() => Task.FromResult(roles.Concat(others).All(Gone)), TimeSpan.FromSeconds(30), "every child (roles and redis-server) exits after cluster up is killed");
        }
        finally
        {
            foreach (var pid in roles.Concat(others).Where(p => !Gone(p)))
            {
                using var orphan = Process.GetProcessById(pid);
                orphan.Kill();
            }

            if (!up.HasExited)
            {
                up.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>The pids whose parent is <paramref name="parent"/> (/proc).</summary>
    private static IEnumerable<int> ChildrenOf(int parent) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!, CultureInfo.InvariantCulture))
            .Where(pid => Stat(pid) is { } s && int.Parse(s[1], CultureInfo.InvariantCulture) == parent);

    private static string Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Exited (or a zombie nobody reaped yet).</summary>
    private static bool Gone(int pid) => Stat(pid) is not { } s || s[0] == "Z";

    /// <summary>The fields of /proc/pid/stat after "pid (comm) ": state, ppid, ...; null when the process is gone.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
