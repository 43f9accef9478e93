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
        var after = Prompts.Make(6200, 25);
        Assert.Equal(fixture.Golden.Greedy(after, 8), (await calls.GenerateAsync(calls.Greedy(after, 8), cts.Token)).Tokens);
    }
}
