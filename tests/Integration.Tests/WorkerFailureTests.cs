using Cluster.Cli.Up;
using Cluster.Contracts.V1;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>Worker processes killed (as a crash would) while requests run: clients still get complete, golden output.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkerFailureTests(ClusterFixture fixture)
{
    [Fact]
    public async Task DecodeWorkerKilledMidStream_StreamCompletesIdenticalToGolden()
    {
        using var cts = Deadline.ForTest();
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 2));
        using var calls = new ClusterCalls(cluster);
        var prompt = Prompts.Make(5000, 40);
        const int MaxTokens = 1800; // long enough that the worker is still generating when it is killed
        var expected = fixture.Golden.Greedy(prompt, MaxTokens, ignoreEos: true);
        var midStream = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The client stops reading after 10 tokens until the worker serving it is dead, so the kill is mid-stream for sure.
        var generation = calls.GenerateAsync(calls.Greedy(prompt, MaxTokens, ignoreEos: true), cts.Token, async count =>
        {
            if (count == 10)
            {
                midStream.TrySetResult();
                await resume.Task.WaitAsync(cts.Token);
            }
        });
        await midStream.Task.WaitAsync(cts.Token);
        var serving = await ServingDecodeWorkerAsync(cluster, calls, cts.Token);
        await cluster.KillWorkerAsync(serving.Name);
        resume.SetResult();

        var output = await generation;

        Assert.Equal(expected, output.Tokens);
        Assert.Equal(FinishReason.Length, output.Finish);
    }

    [Fact]
    public async Task PrefillWorkerKilled_RequestRetriedOnTheOther_Succeeds()
    {
        using var cts = Deadline.ForTest();
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 2, decode: 1));
        using var calls = new ClusterCalls(cluster);
        await cluster.KillWorkerAsync("prefill-1");

        // The dead worker stays in the registry until its heartbeat expires: requests routed to it must be retried.
        var prompts = Enumerable.Range(0, 6).Select(i => Prompts.Make(5100 + i, 20 + 7 * i)).ToArray();
        var outputs = await Task.WhenAll(prompts.Select(p => calls.GenerateAsync(calls.Greedy(p, 12), cts.Token)));

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(fixture.Golden.Greedy(prompts[i], 12), outputs[i].Tokens);
        }
    }

    /// <summary>The decode worker with a running request (Status rpc).</summary>
    private static async Task<RoleEndpoint> ServingDecodeWorkerAsync(ProcessCluster cluster, ClusterCalls calls, CancellationToken cancellationToken)
    {
        foreach (var worker in cluster.Workers.Where(w => w.Role == "decode"))
        {
            if ((await calls.StatusAsync(worker, cancellationToken)).RunningRequests > 0)
            {
                return worker;
            }
        }

        throw new InvalidOperationException("no decode worker reports a running request while the stream is open");
    }
}
