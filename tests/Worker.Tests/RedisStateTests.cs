using Cluster.ClusterState;
using Cluster.ClusterState.Redis;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>Workers on a real redis-server: registration and the prefix index there; Redis down fails no request; a restart is healed.</summary>
public sealed class RedisStateTests : IAsyncLifetime
{
    private static readonly ModelId Model = new(TinyModel.Id);
    private readonly TinyModel _model = new();
    private LocalRedisServer _redis = null!;
    private WorkerHost _prefill = null!;
    private WorkerHost _decode = null!;

    public async Task InitializeAsync()
    {
        _redis = await LocalRedisServer.StartAsync();
        var redis = $"--ClusterState:RedisConnectionString={_redis.ConnectionString}";
        _prefill = await WorkerHost.StartAsync(WorkerPair.PrefillRole, _model, settings: redis);
        _decode = await WorkerHost.StartAsync(WorkerPair.DecodeRole, _model, settings: redis);
    }

    public async Task DisposeAsync()
    {
        await _prefill.DisposeAsync();
        await _decode.DisposeAsync();
        await _redis.DisposeAsync();
        _model.Dispose();
    }

    [Fact]
    public async Task RedisDownThenRestarted_RequestsSucceedAndStateIsRepublished()
    {
        var registry = _decode.Get<IWorkerRegistry>();
        var index = _decode.Get<IPrefixIndex>();
        var prompt = TinyModel.Prompt(12, seed: 77);
        var hashes = new BlockHasher(Model, blockSize: 4).HashBlocks(prompt);
        var prefillId = new WorkerId((await _prefill.StatusAsync()).WorkerId);
        await Eventually.ReturnsAsync(() => registry.ListAsync(Model), w => w.Length == 2, "both workers registered in Redis");
        await DisaggregatedAsync("before", prompt);
        await Eventually.ReturnsAsync(() => index.FindOverlapAsync(Model, hashes), o => o.MatchedBlocks(prefillId) == 3, "the prompt indexed in Redis");

        await _redis.StopAsync();
        await DisaggregatedAsync("during", TinyModel.Prompt(9, seed: 78));   // no request fails because the state store is down

        await _redis.RestartAsync();   // empty state: the workers must register and re-publish on their own
        await Eventually.ReturnsAsync(() => registry.ListAsync(Model), w => w.Length == 2, "both workers registered again", timeoutSeconds: 60);
        await Eventually.ReturnsAsync(() => index.FindOverlapAsync(Model, hashes), o => o.MatchedBlocks(prefillId) == 3, "the blocks re-published", timeoutSeconds: 60);
    }

    private async Task DisaggregatedAsync(string id, int[] prompt)
    {
        var (ticket, first) = await Calls.PrefillToAsync(_prefill, _decode, id, prompt);
        var messages = await Calls.ReadAllAsync(_decode, Calls.Decode(id, prompt, [(int)first.FirstTokenId], 6, ticket));
        Assert.Equal(_model.Greedy(prompt, 6), [(int)first.FirstTokenId, .. Calls.Tokens(messages)]);
    }
}
