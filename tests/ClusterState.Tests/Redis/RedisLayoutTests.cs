using System.Text.Json;
using Cluster.ClusterState.Health;
using Cluster.ClusterState.Model;
using Cluster.ClusterState.Redis;
using Cluster.ClusterState.Tests.Support;
using Cluster.Core.Hashing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Cluster.ClusterState.Tests.Support.TestData;

namespace Cluster.ClusterState.Tests.Redis;

/// <summary>The keys in Redis are exactly those README.md documents.</summary>
public sealed class RedisLayoutTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IDisposable
{
    private readonly RedisConnection _connection = redis.Connect(new ClusterStateHealth(TimeProvider.System, embedded: false));

    [Fact]
    public void Keys_DefaultPrefix_MatchArchitecture()
    {
        var keys = new RedisKeys(ClusterStateOptions.DefaultKeyPrefix);
        Assert.Equal("cl:org/model-a:blk:00000000000000ab", keys.Block(ModelA, new BlockHash(0xab)));
        Assert.Equal("cl:org/model-a:wrk:worker-1", keys.WorkerBlocks(ModelA, W(1)));
        Assert.Equal("cl:org/model-a:seq:worker-1", keys.Sequence(ModelA, W(1)));
        Assert.Equal("cl:workers", keys.Workers);
        Assert.Equal("cl:hb:worker-1", keys.Heartbeat(W(1)));
    }

    [Fact]
    public async Task ApplyAndRegister_WriteDocumentedKeys()
    {
        var index = new RedisPrefixIndex(_connection, Instruments(), NullLogger<RedisPrefixIndex>.Instance);
        var registry = new RedisWorkerRegistry(_connection, TimeProvider.System, Options.Create(new ClusterStateOptions()), Instruments(), NullLogger<RedisWorkerRegistry>.Instance);
        var keys = _connection.Keys;
        var b = Blocks(1, 2);

        await registry.RegisterAsync(Info(1, WorkerRole.Decode), Load(5), TimeSpan.FromSeconds(30));
        await index.ApplyAsync(Stored(W(1), 1, b));
        await index.ApplyAsync(Stored(W(1), 2, b[0]));

        Assert.Equal(["worker-1"], (await redis.Admin.SetMembersAsync(keys.Block(ModelA, b[0]))).Select(v => (string)v!));
        Assert.Equal(b.Select(h => h.ToString()).Order(), (await redis.Admin.SetMembersAsync(keys.WorkerBlocks(ModelA, W(1)))).Select(v => (string)v!).Order());
        Assert.Equal("2", (string?)await redis.Admin.StringGetAsync(keys.Sequence(ModelA, W(1))));
        using var json = JsonDocument.Parse((string)(await redis.Admin.HashGetAsync(keys.Workers, "worker-1"))!);
        Assert.Equal("decode", json.RootElement.GetProperty("role").GetString());
        Assert.Equal("org/model-a", json.RootElement.GetProperty("model").GetString());
        Assert.Equal(5, json.RootElement.GetProperty("load").GetProperty("freeKvBlocks").GetInt32());
        var ttl = await redis.Admin.KeyTimeToLiveAsync(keys.Heartbeat(W(1)));
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));

        await redis.Admin.KeyExpireAsync(keys.Heartbeat(W(1)), TimeSpan.FromSeconds(3));
        Assert.Equal(RegistryOutcome.Accepted, await registry.HeartbeatAsync(W(1), Load(4)));
        Assert.InRange((await redis.Admin.KeyTimeToLiveAsync(keys.Heartbeat(W(1))))!.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30));

        await registry.DeregisterAsync(W(1));
        Assert.Empty(await redis.Admin.ExecuteAsync("KEYS", keys.Prefix + "*") is { } all ? (string[])all! : []);
    }

    [Fact]
    public async Task WorkerLoad_QueuedByPriority_TotalKeepsItsMeaning_AndARecordWithoutTheLowPartReadsAsAllNormal()
    {
        var registry = new RedisWorkerRegistry(_connection, TimeProvider.System, Options.Create(new ClusterStateOptions()), Instruments(), NullLogger<RedisWorkerRegistry>.Instance);
        var keys = _connection.Keys;
        await registry.RegisterAsync(Info(1), new WorkerLoad(5, 1, 3, 7000, 100, 0, QueuedLowPriorityPrefillTokens: 6000), TimeSpan.FromSeconds(30));

        // Old readers read queuedPrefillTokens: still the whole queue. The low part is its own field; the normal part is derived, not stored.
        var stored = (string)(await redis.Admin.HashGetAsync(keys.Workers, "worker-1"))!;
        using (var json = JsonDocument.Parse(stored))
        {
            var load = json.RootElement.GetProperty("load");
            Assert.Equal(7000, load.GetProperty("queuedPrefillTokens").GetInt64());
            Assert.Equal(6000, load.GetProperty("queuedLowPriorityPrefillTokens").GetInt64());
            Assert.False(load.TryGetProperty("queuedNormalPriorityPrefillTokens", out _));
        }

        // A heartbeat from a worker that predates the field: no low part, so the whole queue counts as normal.
        var old = stored.Replace(",\"queuedLowPriorityPrefillTokens\":6000", "", StringComparison.Ordinal);
        Assert.DoesNotContain("queuedLowPriorityPrefillTokens", old, StringComparison.Ordinal);
        await redis.Admin.HashSetAsync(keys.Workers, "worker-1", old);
        var read = Assert.Single(await registry.ListAsync()).Load;
        Assert.Equal((7000, 0, 7000), (read.QueuedPrefillTokens, read.QueuedLowPriorityPrefillTokens, read.QueuedNormalPriorityPrefillTokens));
        await registry.DeregisterAsync(W(1));
    }

    [Fact]
    public async Task ScriptCacheFlushed_ScriptsReloadTransparently()
    {
        var index = new RedisPrefixIndex(_connection, Instruments(), NullLogger<RedisPrefixIndex>.Instance);
        var b = Blocks(2, 3);
        await index.ApplyAsync(Stored(W(1), 1, b));
        Assert.Equal(3, (await index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));

        await redis.Admin.ExecuteAsync("SCRIPT", "FLUSH");

        Assert.Equal(3, (await index.FindOverlapAsync(ModelA, b)).MatchedBlocks(W(1)));
        Assert.Equal(Events.IndexWriteOutcome.Applied, await index.ApplyAsync(Stored(W(1), 2, Blocks(3, 1))));
    }

    public void Dispose() => _connection.Dispose();
}
