namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>Bounded waits: every test step that waits for the cluster has a deadline, never a sleep.</summary>
internal static class Deadline
{
    /// <summary>Longest time any single test may take before it is cancelled.</summary>
    public static readonly TimeSpan Test = TimeSpan.FromSeconds(90);

    /// <summary>Start-up of a whole cluster (processes, model load, registration).</summary>
    public static readonly TimeSpan ClusterStart = TimeSpan.FromSeconds(90);

    public static CancellationTokenSource ForTest() => new(Test);

    /// <summary>Re-checks <paramref name="condition"/> every 50 ms until it holds; fails with <paramref name="what"/> at the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (!await condition())
        {
            try
            {
                await timer.WaitForNextTickAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"not true within {timeout.TotalSeconds:F0} s: {what}");
            }
        }
    }
}
