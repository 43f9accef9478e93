using Cluster.ClusterState;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Cluster.Worker.Tests.Support;

namespace Cluster.Worker.Tests;

/// <summary>
/// cache_salt reaches the engines' prefix caches: blocks are shared only between equal salts, the decode worker reports
/// the prompt tokens it took from its cache, and the hashes both workers publish are the ones the router looks up.
/// </summary>
public sealed class CacheSaltTests(WorkerPair pair) : IClassFixture<WorkerPair>
{
    private static readonly ModelId Model = new(TinyModel.Id);

    [Fact]
    public async Task Decode_NoTicket_CacheHitOnlyForTheSameSalt_ReportedOnTheFirstMessage()
    {
        var prompt = TinyModel.Prompt(22, seed: 301);

        var first = await Calls.ReadAllAsync(pair.Decode, Salted(Calls.Decode("salt-1", prompt, [], 3), "tenant-a"));
        var otherSalt = await Calls.ReadAllAsync(pair.Decode, Salted(Calls.Decode("salt-2", prompt, [], 3), "tenant-b"));
        var unsalted = await Calls.ReadAllAsync(pair.Decode, Calls.Decode("salt-3", prompt, [], 3));
        var sameSalt = await Calls.ReadAllAsync(pair.Decode, Salted(Calls.Decode("salt-4", prompt, [], 3), "tenant-a"));

        Assert.Equal(0u, first[0].CachedPromptTokens);
        Assert.Equal(0u, otherSalt[0].CachedPromptTokens);
        Assert.Equal(0u, unsalted[0].CachedPromptTokens);
        Assert.Equal(20u, sameSalt[0].CachedPromptTokens);   // 5 full blocks of 4; the last prompt token is always computed
        Assert.All([first, otherSalt, unsalted, sameSalt], m => Assert.Equal(pair.Model.Greedy(prompt, 3), Calls.Tokens(m)));
    }

    [Fact]
    public async Task Decode_NoTicket_SaltedPrompt_WorkerPublishesTheHashesTheRouterLooksUp()
    {
        var prompt = TinyModel.Prompt(21, seed: 302);
        var worker = new WorkerId((await pair.Decode.StatusAsync()).WorkerId);

        await Calls.ReadAllAsync(pair.Decode, Salted(Calls.Decode("publish-local", prompt, [], 2), "tenant-x"));

        await Eventually.ReturnsAsync(() => Lookup(prompt, "tenant-x"), o => o.MatchedBlocks(worker) == 5, "the salted prompt's 5 blocks in the index");
        Assert.Equal(0, (await Lookup(prompt, "")).MatchedBlocks(worker));
        Assert.Equal(0, (await Lookup(prompt, "tenant-y")).MatchedBlocks(worker));
    }

    [Fact]
    public async Task ReservePrefillDecode_SaltedPrompt_BothWorkersPublishTheHashesTheRouterLooksUp()
    {
        var prompt = TinyModel.Prompt(17, seed: 303);
        var prefillWorker = new WorkerId((await pair.Prefill.StatusAsync()).WorkerId);
        var decodeWorker = new WorkerId((await pair.Decode.StatusAsync()).WorkerId);
        var reserve = await pair.Decode.Client.ReserveAsync(new ReserveRequest { RequestId = "publish-disagg", Model = TinyModel.Id, PromptTokens = (uint)prompt.Length }, pair.Decode.Options());
        var prefill = new PrefillRequest { RequestId = "publish-disagg", Model = TinyModel.Id, DecodeEndpoint = pair.Decode.Endpoint.ToString(), Ticket = reserve.Ticket, CacheSalt = "tenant-z" };
        prefill.PromptTokenIds.Add(prompt.Select(t => (uint)t));
        var first = await pair.Prefill.Client.PrefillAsync(prefill, pair.Prefill.Options());

        var messages = await Calls.ReadAllAsync(pair.Decode, Salted(Calls.Decode("publish-disagg", prompt, [(int)first.FirstTokenId], 4, reserve.Ticket), "tenant-z"));

        Assert.Equal(pair.Model.Greedy(prompt, 4).Skip(1), Calls.Tokens(messages));
        var overlap = await Eventually.ReturnsAsync(
            () => Lookup(prompt, "tenant-z"), o => o.MatchedBlocks(prefillWorker) == 4 && o.MatchedBlocks(decodeWorker) == 4, "both workers' 4 salted blocks in the index");
        Assert.Equal(0, (await Lookup(prompt, "")).MatchedBlocks(decodeWorker));
        Assert.Equal(0, (await Lookup(prompt, "")).MatchedBlocks(prefillWorker));
        Assert.True(overlap.IndexAvailable);
    }

    private Task<PrefixOverlap> Lookup(int[] prompt, string salt) =>
        PrefixLookup.FindAsync(pair.State.Index, Model, prompt, blockSize: 4, salt, CancellationToken.None);

    private static DecodeRequest Salted(DecodeRequest request, string salt)
    {
        request.CacheSalt = salt;
        return request;
    }
}
