using System.Collections.Concurrent;
using System.Diagnostics;
using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;
using Xunit.Abstractions;

namespace Cluster.Integration.Tests;

/// <summary>
/// Mixed load against a <c>cluster up --redis</c>-shaped cluster (router + 2 prefill + 2 decode processes, a real
/// redis-server) with random cancels, deadlines, duplicate request ids and worker kills (each replaced by a new worker).
/// Afterwards: every client got its complete output or a clear error, no worker holds a KV block, a request or a
/// reservation, and no process that lived through the run grew by more than <see cref="RssGrowthBoundBytes"/>.
/// Length: <c>CLUSTER_SOAK_SECONDS</c> (default 20 for CI; 300 is the 5-minute soak); seed: <c>CLUSTER_SOAK_SEED</c>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SoakTests(ClusterFixture fixture, ITestOutputHelper output)
{
    /// <summary>Resident-memory growth allowed per surviving process between the end of the warm-up and the end of the load.</summary>
    private const long RssGrowthBoundBytes = 192L << 20;

    private const int Clients = 6;
    private const int PromptCount = 8;
    private const int GoldenTokens = 48;
    private const int LongTokens = 1500;
    private const int WarmUpRequests = 2 * Clients;

    private static readonly StatusCode[] ClearErrors =
        [StatusCode.Cancelled, StatusCode.DeadlineExceeded, StatusCode.AlreadyExists, StatusCode.ResourceExhausted, StatusCode.Unavailable];

    [Fact]
    public async Task MixedLoadWithCancelsDuplicatesAndKills_EveryClientAnsweredAndNothingLeaks()
    {
        var soak = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("CLUSTER_SOAK_SECONDS"), out var s) && s > 0 ? s : 20);
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CLUSTER_SOAK_SEED"), out var given) ? given : Environment.TickCount;
        output.WriteLine($"soak {soak.TotalSeconds} s, seed {seed} (CLUSTER_SOAK_SEED={seed} replays the choices)");
        using var cts = new CancellationTokenSource(soak + TimeSpan.FromMinutes(3));
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 2, decode: 2, new Dictionary<string, string>
        {
            ["Routing:DisaggregationPolicy"] = "threshold",
            ["KvTransfer:Lease"] = "00:00:05", // a reservation orphaned by a kill expires within the wait below
        }));
        using var calls = new ClusterCalls(cluster);

        // Greedy outputs are prefixes of each other: a request for m ≤ GoldenTokens tokens must equal golden[..m].
        var shared = Prompts.Make(9000, 24);
        var prompts = Enumerable.Range(0, PromptCount).Select(i => Prompts.WithPrefix(shared, 9100 + i, 8 + (i * 5))).ToArray();
        var golden = prompts.Select(p => fixture.Golden.Greedy(p, GoldenTokens, ignoreEos: true)).ToArray();

        var tally = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        var end = Stopwatch.StartNew();
        bool Running() => end.Elapsed < soak && !cts.IsCancellationRequested;

        // The memory baseline: once the clients have finished their first requests (code paths loaded, pools grown).
        var warmedUp = new TaskCompletionSource<Dictionary<int, long>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var chaos = Task.Run(() => KillAndReplaceAsync(cluster, soak, Running, cts.Token), cts.Token);
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(seed + c);
            while (Running())
            {
                var (kind, problem) = await OneRequestAsync(calls, random, prompts, golden, c, cts.Token);
                tally.AddOrUpdate(kind, 1, (_, n) => n + 1);
                if (tally.Values.Sum() >= WarmUpRequests && !warmedUp.Task.IsCompleted)
                {
                    warmedUp.TrySetResult(ResidentBytes(cluster));
                }
                if (problem is not null)
                {
                    failures.Enqueue(problem);
                }
            }
        }, cts.Token)).ToArray();

        await Task.WhenAll(clients);
        var kills = await chaos;
        Assert.True(warmedUp.Task.IsCompleted, $"fewer than {WarmUpRequests} requests ended in {soak.TotalSeconds} s");
        var before = await warmedUp.Task;
        output.WriteLine($"outcomes: {string.Join(", ", tally.OrderBy(t => t.Key).Select(t => $"{t.Key} {t.Value}"))}; workers killed and replaced: {kills}");
        Assert.True(failures.IsEmpty, $"{failures.Count} client(s) got neither complete output nor a clear error:\n{string.Join('\n', failures.Take(10))}");
        Assert.True(tally.Where(t => t.Key.StartsWith("complete", StringComparison.Ordinal)).Sum(t => t.Value) > 0, "no request completed");

        await Deadline.UntilAsync(async () => (await LeftoversAsync(calls, cluster, cts.Token)) is null, TimeSpan.FromSeconds(30),
            $"every worker idle with no KV block, request or reservation held; last seen: {await LeftoversAsync(calls, cluster, cts.Token)}");

        var after = ResidentBytes(cluster);
        foreach (var (pid, bytes) in before.Where(b => after.ContainsKey(b.Key)))
        {
            var growth = after[pid] - bytes;
            output.WriteLine($"pid {pid}: RSS {bytes >> 20} MiB after warm-up → {after[pid] >> 20} MiB at the end");
            Assert.True(growth <= RssGrowthBoundBytes, $"process {pid} grew by {growth >> 20} MiB (bound {RssGrowthBoundBytes >> 20} MiB)");
        }
    }

    /// <summary>One client request of a random kind; returns its outcome and, when it is neither complete nor a clear error, why.</summary>
    private static async Task<(string Kind, string? Problem)> OneRequestAsync(
        ClusterCalls calls, Random random, int[][] prompts, IReadOnlyList<int>[] golden, int client, CancellationToken cancellationToken)
    {
        var which = random.Next(prompts.Length);
        var roll = random.Next(100);
        var shape = roll < 15 ? "cancelled" : roll < 25 ? "deadline" : roll < 35 ? "duplicate-id" : "plain";
        try
        {
            if (roll < 15)
            {
                // cancel after a few tokens of a long generation
                using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var after = random.Next(1, 20);
                await calls.GenerateAsync(calls.Greedy(prompts[which], LongTokens, ignoreEos: true), cancel.Token, count =>
                {
                    if (count >= after)
                    {
                        cancel.Cancel();
                    }

                    return Task.CompletedTask;
                });
                return ("not cancelled", $"client {client}: a cancelled generation of {LongTokens} tokens ran to its end");
            }

            if (roll < 25)
            {
                // a deadline far shorter than the generation
                using var call = calls.Inference.Generate(calls.Greedy(prompts[which], LongTokens, ignoreEos: true),
                    calls.RouterOptions(cancellationToken, TimeSpan.FromMilliseconds(random.Next(50, 400))));
                await foreach (var _ in call.ResponseStream.ReadAllAsync(cancellationToken))
                {
                }

                return ("deadline ignored", $"client {client}: a generation of {LongTokens} tokens outlived its deadline");
            }

            if (roll < 35)
            {
                return await DuplicatePairAsync(calls, prompts[which], golden[which], client, cancellationToken);
            }

            var tokens = random.Next(4, GoldenTokens + 1);
            var result = await calls.GenerateAsync(calls.Greedy(prompts[which], tokens, ignoreEos: true), cancellationToken);
            return Complete(result, golden[which], tokens, client);
        }
        catch (RpcException e) when (ClearErrors.Contains(e.StatusCode) && !string.IsNullOrWhiteSpace(e.Status.Detail))
        {
            return ($"error {e.StatusCode}", null);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            // Grpc.Net.Client ends a call whose own deadline passed with DEADLINE_EXCEEDED and an empty detail: the code
            // alone is the clear answer to the deadline this client set.
            return ($"error {e.StatusCode}", null);
        }
        catch (RpcException e)
        {
            return ($"error {e.StatusCode}", $"client {client}, {shape} request: {e.StatusCode} '{e.Status.Detail}' is not a clear error");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ("error Cancelled", null); // the client's own cancel, surfaced by the reader
        }
    }

    /// <summary>Two calls sharing one client request id: each completes, or is refused with ALREADY_EXISTS while the other runs.</summary>
    private static async Task<(string Kind, string? Problem)> DuplicatePairAsync(
        ClusterCalls calls, int[] prompt, IReadOnlyList<int> golden, int client, CancellationToken cancellationToken)
    {
        var id = $"soak-{client}-{Guid.NewGuid():N}";
        async Task<(string Kind, string? Problem)> OneAsync()
        {
            var request = calls.Greedy(prompt, GoldenTokens, ignoreEos: true);
            request.RequestId = id;
            try
            {
                return Complete(await calls.GenerateAsync(request, cancellationToken), golden, GoldenTokens, client);
            }
            catch (RpcException e) when (ClearErrors.Contains(e.StatusCode) && !string.IsNullOrWhiteSpace(e.Status.Detail))
            {
                return ($"duplicate {e.StatusCode}", null);
            }
        }

        var both = await Task.WhenAll(OneAsync(), OneAsync());
        var problem = both.Select(b => b.Problem).FirstOrDefault(p => p is not null);
        if (problem is null && both.All(b => b.Kind.StartsWith("duplicate", StringComparison.Ordinal)))
        {
            problem = $"client {client}: both calls with request id {id} were refused ({both[0].Kind}, {both[1].Kind})";
        }

        return (string.Join('+', both.Select(b => b.Kind).Order(StringComparer.Ordinal)), problem);
    }

    private static (string Kind, string? Problem) Complete(Generated result, IReadOnlyList<int> golden, int tokens, int client) =>
        result.Finish == FinishReason.Length && result.Tokens.SequenceEqual(golden.Take(tokens))
            ? ("complete", null)
            : ("incomplete", $"client {client}: asked {tokens} tokens, got {result.Tokens.Count} ending {result.Finish}, or tokens other than the golden ones");

    /// <summary>Every third of the run, kills one worker (decode and prefill in turn) and starts its replacement.</summary>
    private static async Task<int> KillAndReplaceAsync(ProcessCluster cluster, TimeSpan soak, Func<bool> running, CancellationToken cancellationToken)
    {
        var kills = 0;
        var period = TimeSpan.FromTicks(Math.Max(soak.Ticks / 3, TimeSpan.FromSeconds(5).Ticks));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(cancellationToken) && running())
        {
            var role = kills % 2 == 0 ? "decode" : "prefill";
            var victim = cluster.Workers.First(w => w.Role == role);
            await cluster.KillWorkerAsync(victim.Name);
            await cluster.AddWorkerAsync(role, Deadline.ClusterStart, cancellationToken);
            kills++;
        }

        return kills;
    }

    /// <summary>Null when every live worker holds nothing; else what the first busy one reports.</summary>
    private static async Task<string?> LeftoversAsync(ClusterCalls calls, ProcessCluster cluster, CancellationToken cancellationToken)
    {
        foreach (var worker in cluster.Workers)
        {
            var s = await calls.StatusAsync(worker, cancellationToken);
            if (s.RunningRequests != 0 || s.WaitingRequests != 0 || s.KvBlocksFree != s.KvBlocksTotal || s.KvReservations != 0)
            {
                return $"{worker.Name}: running {s.RunningRequests}, waiting {s.WaitingRequests}, KV blocks free {s.KvBlocksFree}/{s.KvBlocksTotal}, reservations {s.KvReservations}";
            }
        }

        return null;
    }

    /// <summary>VmRSS of every live child process, by pid.</summary>
    private static Dictionary<int, long> ResidentBytes(ProcessCluster cluster)
    {
        var result = new Dictionary<int, long>();
        foreach (var child in cluster.Processes.Where(p => !p.HasExited))
        {
            var line = File.ReadLines($"/proc/{child.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            if (line is not null)
            {
                result[child.Id] = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return result;
    }
}
