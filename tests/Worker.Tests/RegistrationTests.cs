using Cluster.ClusterState.Model;
using Cluster.Contracts.V1;
using WorkerRole = Cluster.ClusterState.Model.WorkerRole;
using Cluster.Core.Hashing;
using Cluster.Core.Ids;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>Registration with the real bound ports, heartbeats, KV events into the prefix index, re-registration, deregistration.</summary>
public sealed class RegistrationTests(WorkerPair pair) : IClassFixture<WorkerPair>
{
    private static readonly ModelId Model = new(TinyModel.Id);

    [Fact]
    public async Task Start_RegistersBothWorkersWithTheirBoundEndpoints()
    {
        var workers = await Eventually.ReturnsAsync(() => pair.State.Registry.ListAsync(Model), w => w.Length == 2, "two registered workers");

        var prefill = Assert.Single(workers, w => w.Info.Role == WorkerRole.Prefill);
        var decode = Assert.Single(workers, w => w.Info.Role == WorkerRole.Decode);
        Assert.Equal($"http://127.0.0.1:{pair.Prefill.Endpoint.Port}", prefill.Info.GrpcEndpoint);
        Assert.Equal($"http://127.0.0.1:{pair.Decode.Endpoint.Port}", decode.Info.KvTransferEndpoint);
        Assert.NotEqual(0, pair.Decode.Endpoint.Port);
        Assert.Equal(1100, decode.Info.TotalKvBlocks);
        Assert.Equal((await pair.Decode.StatusAsync()).WorkerId, decode.Info.Id.Value);
        Assert.StartsWith($"decode-", decode.Info.Id.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Heartbeat_AdvancesAndCarriesTheLoad()
    {
        var first = await Eventually.ReturnsAsync(() => Snapshot(WorkerRole.Decode), w => w is not null, "the decode worker");
        var later = await Eventually.ReturnsAsync(() => Snapshot(WorkerRole.Decode), w => w!.LastHeartbeat > first!.LastHeartbeat, "a later heartbeat");
        Assert.Equal(1100, later!.Load.FreeKvBlocks);
    }

    [Fact]
    public async Task Prefill_PublishesThePromptBlocksToThePrefixIndex()
    {
        var prompt = TinyModel.Prompt(13, seed: 42);
        var request = new PrefillRequest { RequestId = "indexed", Model = TinyModel.Id };
        request.PromptTokenIds.Add(prompt.Select(t => (uint)t));
        await pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options());
        var hashes = new BlockHasher(Model, blockSize: 4).HashBlocks(prompt);
        var prefillId = new WorkerId((await pair.Prefill.StatusAsync()).WorkerId);

        var overlap = await Eventually.ReturnsAsync(() => pair.State.Index.FindOverlapAsync(Model, hashes), o => o.MatchedBlocks(prefillId) == 3, "3 blocks in the index");

        Assert.Equal(3, overlap.MatchedBlocks(prefillId));
    }

    [Fact]
    public async Task RegistryForgetsWorker_WorkerRegistersAgainAndRepublishesItsBlocks()
    {
        var prompt = TinyModel.Prompt(9, seed: 43);
        var request = new PrefillRequest { RequestId = "republished", Model = TinyModel.Id };
        request.PromptTokenIds.Add(prompt.Select(t => (uint)t));
        await pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options());
        var hashes = new BlockHasher(Model, blockSize: 4).HashBlocks(prompt);
        var prefillId = new WorkerId((await pair.Prefill.StatusAsync()).WorkerId);
        await Eventually.ReturnsAsync(() => pair.State.Index.FindOverlapAsync(Model, hashes), o => o.MatchedBlocks(prefillId) == 2, "2 blocks in the index");

        await pair.State.Registry.DeregisterAsync(prefillId);   // what an expired heartbeat does: worker and its index entries gone

        await Eventually.ReturnsAsync(() => pair.State.Registry.ListAsync(Model, WorkerRole.Prefill), w => w.Length == 1, "the prefill worker registered again");
        await Eventually.ReturnsAsync(() => pair.State.Index.FindOverlapAsync(Model, hashes), o => o.MatchedBlocks(prefillId) == 2, "the blocks re-published");
    }

    [Fact]
    public async Task IndexLostTheWorkersEntries_NextEventsTriggerAFullRepublish()
    {
        var prefillId = new WorkerId((await pair.Prefill.StatusAsync()).WorkerId);
        var first = TinyModel.Prompt(8, seed: 44);
        await PrefillAsync("before-loss", first);
        var firstHashes = new BlockHasher(Model, blockSize: 4).HashBlocks(first);
        await Eventually.ReturnsAsync(() => pair.State.Index.FindOverlapAsync(Model, firstHashes), o => o.MatchedBlocks(prefillId) == 2, "the first prompt indexed");

        await pair.State.Index.RemoveWorkerAsync(Model, prefillId);   // e.g. a Redis restart: entries and sequence gone
        var second = TinyModel.Prompt(12, seed: 45);
        await PrefillAsync("after-loss", second);

        var secondHashes = new BlockHasher(Model, blockSize: 4).HashBlocks(second);
        await Eventually.ReturnsAsync(() => pair.State.Index.FindOverlapAsync(Model, secondHashes), o => o.MatchedBlocks(prefillId) == 3, "the second prompt indexed");
        Assert.Equal(2, (await pair.State.Index.FindOverlapAsync(Model, firstHashes)).MatchedBlocks(prefillId));
    }

    [Fact]
    public async Task Stop_DeregistersTheWorker()
    {
        var state = new SharedClusterState();
        var host = await WorkerHost.StartAsync(WorkerApp.ColocatedDefaults, pair.Model, state);
        await Eventually.ReturnsAsync(() => state.Registry.ListAsync(), w => w.Length == 1, "the colocated worker");
        Assert.Equal(WorkerRole.Colocated, (await state.Registry.ListAsync())[0].Info.Role);

        await host.DisposeAsync();

        Assert.Empty(await state.Registry.ListAsync());
    }

    private async Task PrefillAsync(string id, int[] prompt)
    {
        var request = new PrefillRequest { RequestId = id, Model = TinyModel.Id };
        request.PromptTokenIds.Add(prompt.Select(t => (uint)t));
        await pair.Prefill.Client.PrefillAsync(request, pair.Prefill.Options());
    }

    private async Task<WorkerSnapshot?> Snapshot(WorkerRole role) =>
        (await pair.State.Registry.ListAsync(Model, role)).FirstOrDefault();
}
