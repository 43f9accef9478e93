using System.Collections.Concurrent;
using Cluster.Cli.Up;

namespace Cluster.Integration.Tests;

/// <summary>Issue 21 (6b): <c>cluster up</c> restarts a crashed role after 0.5 s, doubling per quick crash up to 10 s,
/// and starts over at 0.5 s after a run of 30 s.</summary>
public sealed class RestartBackoffTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(1);

    [Fact]
    public void Next_RepeatedQuickExits_DoublesFromHalfASecondAndStopsAtTenSeconds()
    {
        var backoff = new RestartBackoff();

        var delays = Enumerable.Range(0, 8).Select(_ => backoff.Next(Quick).TotalSeconds).ToArray();

        Assert.Equal([0.5, 1, 2, 4, 8, 10, 10, 10], delays);
    }

    [Fact]
    public void Next_AfterARunOfThirtySeconds_StartsOverAtHalfASecond()
    {
        var backoff = new RestartBackoff();
        foreach (var _ in Enumerable.Range(0, 5))
        {
            backoff.Next(Quick); // up to 8 s
        }

        Assert.Equal(TimeSpan.FromSeconds(10), backoff.Next(TimeSpan.FromSeconds(29.9))); // just short of stable: still grows
        Assert.Equal(TimeSpan.FromMilliseconds(500), backoff.Next(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next(Quick)); // and doubles again from there
    }

    [Fact]
    public async Task Supervise_ChildThatExitsAtOnce_IsRestartedAfterHalfASecondThenOneThenTwo()
    {
        // A real child that crashes at once: the dotnet host given an assembly that does not exist.
        var dir = Directory.CreateTempSubdirectory("cluster-backoff-");
        try
        {
            var reports = new BlockingCollection<string>();
            await using var child = ChildProcess.Start("crasher", Path.Combine(dir.FullName, "missing.dll"), [], Path.Combine(dir.FullName, "crasher.log"));
            child.Supervise(reports.Add);

            var delays = new List<string>();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (delays.Count < 3)
            {
                var line = reports.Take(bound.Token);
                if (line.Contains("exited unexpectedly", StringComparison.Ordinal))
                {
                    delays.Add(line[(line.LastIndexOf("restarting it in ", StringComparison.Ordinal) + "restarting it in ".Length)..]);
                }
            }

            Assert.Equal(["0.5 s", "1.0 s", "2.0 s"], delays);
            Assert.True(child.Restarts >= 2, $"expected at least 2 restarts, saw {child.Restarts}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
