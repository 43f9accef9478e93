using Cluster.ClusterState.Events;
using Cluster.ClusterState.Health;
using Cluster.ClusterState.Redis;
using Cluster.ClusterState.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using static Cluster.ClusterState.Tests.Support.TestData;

namespace Cluster.ClusterState.Tests.Redis;

/// <summary>Many calls in flight on the one pipelined connection: every answer is right and nothing is lost.</summary>
public sealed class RedisConcurrencyTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IDisposable
{
    private readonly RedisConnection _connection = redis.Connect(new ClusterStateHealth(TimeProvider.System, embedded: false));

    [Fact]
    public async Task ConcurrentBatchesAndLookups_OneConnection_AllApplyAndFinalAnswersAreExact()
    {
        var index = new RedisPrefixIndex(_connection, Instruments(), NullLogger<RedisPrefixIndex>.Instance);
        var prompt = Blocks(1, 400);
        var shared = Blocks(2, 4);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => index.ApplyAsync(Stored(W(w), 1, shared))));

        // Worker w publishes the first 50 * (w + 1) blocks of the prompt, one block per batch, in order; batches of one
        // worker are sequential (as a worker publishes them), the 8 workers and 400 lookups run at once.
        var publishers = Enumerable.Range(0, 8).Select(async w =>
        {
            var outcomes = new List<IndexWriteOutcome>();
            for (var i = 0; i < 50 * (w + 1); i++)
            {
                outcomes.Add(await index.ApplyAsync(Stored(W(w), i + 2, prompt[i])));
            }

            return outcomes;
        }).ToArray();
        var lookups = Enumerable.Range(0, 400).Select(i => index.FindOverlapAsync(ModelA, i % 2 == 0 ? prompt : shared)).ToArray();

        Assert.All((await Task.WhenAll(publishers)).SelectMany(o => o), o => Assert.Equal(IndexWriteOutcome.Applied, o));
        Assert.All(await Task.WhenAll(lookups), o => Assert.True(o.IndexAvailable));
        var final = await index.FindOverlapAsync(ModelA, prompt);
        for (var w = 0; w < 8; w++)
        {
            Assert.Equal(50 * (w + 1), final.MatchedBlocks(W(w)));
        }

        Assert.Equal(8, (await index.FindOverlapAsync(ModelA, shared)).Blocks.Values.Count(n => n == 4));
    }

    public void Dispose() => _connection.Dispose();
}
