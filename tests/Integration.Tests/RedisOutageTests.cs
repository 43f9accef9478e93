using Grpc.Core;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Integration.Tests.Infrastructure;

namespace Cluster.Integration.Tests;

/// <summary>Redis stopped mid-run: every request still succeeds (routing on load alone); restarted empty: the workers re-publish and the index shows their blocks again.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisOutageTests(ClusterFixture fixture)
{
    [Fact]
    public async Task RedisStoppedThenRestarted_RequestsSucceed_AndIndexResyncs()
    {
        using var cts = Deadline.ForTest();
        await using var cluster = await ClusterFixture.StartAsync(ClusterFixture.Spec(prefill: 1, decode: 1));
        using var calls = new ClusterCalls(cluster);
        var redis = cluster.Redis!;
        var model = new ModelId(TestModel.Id);
        var prompt = Prompts.Make(6000, 48);
        var hashes = new BlockHasher(model, 16).HashBlocks(prompt);

        Assert.Equal(fixture.Golden.Greedy(prompt, 8), (await calls.GenerateAsync(calls.Greedy(prompt, 8), cts.Token)).Tokens);
        await Deadline.UntilAsync(async () => (await cluster.Index.FindOverlapAsync(model, hashes)).Blocks.Values.Any(n => n == hashes.Length),
            TimeSpan.FromSeconds(30), "the prefix index shows the prompt's blocks before the outage");

        await redis.StopAsync();
        var during = Enumerable.Range(0, 4).Select(i => Prompts.Make(6100 + i, 30 + i)).ToArray();
        var outputs = await Task.WhenAll(during.Select(p => calls.GenerateAsync(calls.Greedy(p, 8), cts.Token)));
        for (var i = 0; i < during.Length; i++)
        {
            Assert.Equal(fixture.Golden.Greedy(during[i], 8), outputs[i].Tokens);
        }

        await redis.RestartAsync(cts.Token);
        await Deadline.UntilAsync(async () => (await cluster.Index.FindOverlapAsync(model, hashes)).Blocks.Values.Any(n => n == hashes.Length),
            TimeSpan.FromSeconds(60), "after Redis restarted empty, a worker re-published its blocks and the index shows the prompt's blocks again");
        // Redis came back empty: the workers re-register on their next heartbeat (Worker:HeartbeatInterval, 1 s) and the
        // router sees them on its next registry refresh; until then it answers UNAVAILABLE "no live worker" (ARCHITECTURE §7).
        var after = Prompts.Make(6200, 25);
        Generated? served = null;
        await Deadline.UntilAsync(async () =>
        {
            try
            {
                served = await calls.GenerateAsync(calls.Greedy(after, 8), cts.Token);
                return true;
            }
            // UNAVAILABLE (retry) in the window: "No live worker" until the router sees the re-registered workers. A stream
            // already open to a worker is not cut when the empty registry drops it from the live list: its channel stays
            // for Routing:WorkerChannelGrace (Router.Tests WorkerClientsTests).
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the router serves again once the workers re-registered in the restarted Redis");
        Assert.Equal(fixture.Golden.Greedy(after, 8), served!.Tokens);
    }
}
