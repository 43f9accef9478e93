using System.Diagnostics;
using Cluster.ClusterState;

namespace Cluster.Cli.Bench;

/// <summary>
/// The same lookups with many in flight at once on the one Redis connection: throughput and latency under load, and
/// whether any call failed (timeouts or errors show as <see cref="PrefixOverlap.IndexAvailable"/> = false).
/// </summary>
internal static class RouterIndexBenchLoad
{
    public static async Task<(double PerSecond, double[] Micros, int Unavailable)> RunAsync(
        IPrefixIndex index, RouterIndexBenchWorkload workload, int concurrency, int total, CancellationToken ct)
    {
        var micros = new double[total];
        var unavailable = 0;
        var next = -1;
        var wall = Stopwatch.StartNew();
        var lanes = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var t = Stopwatch.GetTimestamp();
                var overlap = await index.FindOverlapAsync(workload.Model, workload.Queries[i % workload.Queries.Length], ct).ConfigureAwait(false);
                micros[i] = Stopwatch.GetElapsedTime(t).TotalMicroseconds;
                if (!overlap.IndexAvailable)
                {
                    Interlocked.Increment(ref unavailable);
                }
            }
        });
        await Task.WhenAll(lanes).ConfigureAwait(false);
        return (total / wall.Elapsed.TotalSeconds, micros, unavailable);
    }
}
