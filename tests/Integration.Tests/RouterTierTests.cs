using Grpc.Net.Client;
using System.Collections.Concurrent;
using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Cluster.Integration.Tests.Infrastructure;
using Grpc.Core;
using Xunit.Abstractions;

namespace Cluster.Integration.Tests;

/// <summary>
/// Issue 14: three router processes forming one Orleans router tier on a real redis-server, with real prefill and
/// decode worker processes. Requests are spread over the routers as a load balancer in front of them would.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RouterTierTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int Routers = 3;
    private const int SequencesPerWorker = 8; // two decode workers: room for 16 requests in all

    [Fact]
    public async Task Burst64OverThreeRouters_NoWorkerOverCapacity_EachCompletesOrIsRefused()
    {
        _ = fixture;
        using var cts = new CancellationTokenSource(Deadline.Test);
        await using var cluster = await StartAsync(new Dictionary<string, string>
        {
            ["Engine:MaxSequences"] = SequencesPerWorker.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Routing:QueueTimeout"] = "00:00:20",
        });
        var routers = cluster.Routers.Select(r => new ClusterCalls(cluster, r.Grpc)).ToArray();
        using var workerCalls = new ClusterCalls(cluster);
        var decodeWorkers = cluster.Workers.Where(w => w.Role == "decode").ToArray();

        // Watch every decode worker's Status while the burst runs: admitted work never exceeds its sequences.
        var worst = new ConcurrentDictionary<string, int>();
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var watcher = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                foreach (var worker in decodeWorkers)
                {
                    var s = await workerCalls.StatusAsync(worker, cts.Token);
                    var held = (int)(s.RunningRequests + s.WaitingRequests);
                    worst.AddOrUpdate(worker.Name, held, (_, w) => Math.Max(w, held));
                }
            }
        }, cts.Token);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            var prompt = Prompts.Make(14_000 + i, 24);
            try
            {
                var generated = await routers[i % Routers].GenerateAsync(routers[i % Routers].Greedy(prompt, 16, ignoreEos: true), cts.Token);
                return generated.Tokens.Count == 16 && generated.Finish == FinishReason.Length ? "completed" : $"short: {generated.Tokens.Count} tokens, {generated.Finish}";
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return "resource_exhausted";
            }
            catch (RpcException e)
            {
                return $"{e.StatusCode}: {e.Status.Detail}";
            }
        }));
        await stopWatching.CancelAsync();
        await watcher.ContinueWith(_ => { }, TaskScheduler.Default);

        var tally = outcomes.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(string.Join(", ", tally.Select(kv => $"{kv.Key}: {kv.Value}")));
        output.WriteLine(string.Join(", ", worst.Select(kv => $"{kv.Key} at most {kv.Value} running + waiting")));
        Assert.All(outcomes, o => Assert.True(o is "completed" or "resource_exhausted", o));
        Assert.True(tally.GetValueOrDefault("completed") >= 16, $"only {tally.GetValueOrDefault("completed")} completed");
        Assert.Equal(decodeWorkers.Length, worst.Count);
        Assert.All(worst, kv => Assert.InRange(kv.Value, 0, SequencesPerWorker));
        routers.ToList().ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task DuplicateIdOnTwoRouters_SecondGetsAlreadyExists_FirstFinishesUntouched()
    {
        using var cts = new CancellationTokenSource(Deadline.Test);
        await using var cluster = await StartAsync(new Dictionary<string, string>());
        using var a = new ClusterCalls(cluster, cluster.Routers[0].Grpc);
        using var b = new ClusterCalls(cluster, cluster.Routers[1].Grpc);
        var prompt = Prompts.Make(15_000, 24);
        var expected = fixture.Golden.Greedy(prompt, 64, ignoreEos: true); // greedy outputs are prefixes of each other

        // Long enough that it is still running when the duplicate arrives, also on a loaded machine.
        const int longTokens = 1500;
        var firstToken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = a.GenerateAsync(WithId(a.Greedy(prompt, longTokens, ignoreEos: true), "client-id-dup"), cts.Token, _ => { firstToken.TrySetResult(); return Task.CompletedTask; });
        await firstToken.Task.WaitAsync(cts.Token); // the first request is live on router A

        var duplicate = await Assert.ThrowsAsync<RpcException>(() => b.GenerateAsync(WithId(b.Greedy(prompt, 8, ignoreEos: true), "client-id-dup"), cts.Token));
        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        Assert.Contains("another router", duplicate.Status.Detail, StringComparison.Ordinal);

        var done = await first;
        Assert.Equal(longTokens, done.Tokens.Count);
        Assert.Equal(expected, done.Tokens.Take(expected.Count));
        Assert.Equal(FinishReason.Length, done.Finish);

        var again = await b.GenerateAsync(WithId(b.Greedy(prompt, 4, ignoreEos: true), "client-id-dup"), cts.Token); // the id is free once the first ended
        Assert.Equal(expected.Take(4), again.Tokens);
    }

    private static Task<ProcessCluster> StartAsync(Dictionary<string, string> settings) =>
        ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 2, settings) with { Routers = Routers });

    private static GenerateRequest WithId(GenerateRequest request, string requestId)
    {
        request.RequestId = requestId;
        return request;
    }
}
