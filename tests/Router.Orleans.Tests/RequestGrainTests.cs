using Cluster.Router.Orleans.Grains;

namespace Cluster.Router.Orleans.Tests;

[Collection(GrainClusterCollection.Name)]
public sealed class RequestGrainTests(GrainClusterFixture fixture)
{
    private const string Alice = "key:alice";

    [Fact]
    public async Task TryClaim_DuplicateLiveIdFromManyRouters_ExactlyOneClaims()
    {
        var label = $"client-{Guid.NewGuid():N}";
        var claims = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            fixture.Cluster.Client.GetGrain<IRequestGrain>(label).TryClaimAsync(new RequestOwner($"router-{i % 3}", $"internal-{i}"), Alice, null)));

        var winner = Assert.Single(claims, c => c.Claimed);
        Assert.All(claims, c => Assert.Equal(winner.Holder.Owner, c.Holder.Owner)); // every loser is told who holds it
        Assert.Equal("admitting", winner.Holder.State);
    }

    [Fact]
    public async Task Release_ByTheHolder_FreesTheIdForANewRequest()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRequestGrain>($"client-{Guid.NewGuid():N}");
        var first = new RequestOwner("router-a", "r1");
        Assert.True((await grain.TryClaimAsync(first, Alice, null)).Claimed);
        Assert.False((await grain.TryClaimAsync(new RequestOwner("router-b", "r2"), Alice, null)).Claimed);

        await grain.ReleaseAsync("r2"); // not the holder: nothing changes
        Assert.Equal(first, (await grain.GetAsync())?.Owner);

        await grain.ReleaseAsync("r1");
        Assert.True((await grain.TryClaimAsync(new RequestOwner("router-b", "r2"), Alice, null)).Claimed);
    }

    [Fact]
    public async Task Routed_RecordsTheChosenWorkersAndTokensDelivered()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRequestGrain>($"client-{Guid.NewGuid():N}");
        Assert.True((await grain.TryClaimAsync(new RequestOwner("router-a", "r1"), Alice, null)).Claimed);
        await grain.RoutedAsync("r1", "prefill-1", "decode-2", 0);
        await grain.RoutedAsync("other", "prefill-9", "decode-9", 0); // not the holder: ignored
        var live = await grain.GetAsync();
        Assert.Equal(("running", "prefill-1", "decode-2", 0), (live!.State, live.PrefillWorker, live.DecodeWorker, live.TokensDelivered));

        await grain.RoutedAsync("r1", "", "decode-3", 17); // a migration to a local prefill
        live = await grain.GetAsync();
        Assert.Equal(("", "decode-3", 17), (live!.PrefillWorker, live.DecodeWorker, live.TokensDelivered));
    }

    [Fact]
    public async Task Ended_RecordsTheFinalStateAndTokensDelivered_UntilReleased()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRequestGrain>($"client-{Guid.NewGuid():N}");
        Assert.True((await grain.TryClaimAsync(new RequestOwner("router-a", "r1"), Alice, null)).Claimed);
        await grain.RoutedAsync("r1", "prefill-1", "decode-2", 0);
        await grain.EndedAsync("other", 99, completed: false); // not the holder: ignored
        await grain.EndedAsync("r1", 42, completed: true);
        var ended = await grain.GetAsync();
        Assert.Equal(("finished", "prefill-1", "decode-2", 42), (ended!.State, ended.PrefillWorker, ended.DecodeWorker, ended.TokensDelivered));
        Assert.False((await grain.TryClaimAsync(new RequestOwner("router-b", "r2"), Alice, null)).Claimed); // claimed until released

        await grain.ReleaseAsync("r1");
        Assert.Null(await grain.GetAsync());
    }

    [Fact]
    public async Task Cancel_ByTheOwnersPrincipal_ReachesTheOwningRoutersCanceller()
    {
        var label = $"client-{Guid.NewGuid():N}";
        var owner = new RecordingCanceller(answer: true);
        var reference = fixture.Cluster.Client.CreateObjectReference<IRequestCanceller>(owner);
        Assert.True((await fixture.Cluster.Client.GetGrain<IRequestGrain>(label).TryClaimAsync(new RequestOwner("router-a", "r1"), Alice, reference)).Claimed);

        // The cancel comes through another silo's view of the grain (any router): the grain calls the owner back.
        var cancelled = await fixture.Cluster.Client.GetGrain<IRequestGrain>(label).CancelAsync(Alice);

        Assert.True(cancelled);
        Assert.Equal((label, "r1", Alice), Assert.Single(owner.Calls));
        GC.KeepAlive(owner);
    }

    [Fact]
    public async Task Cancel_FromAnotherPrincipal_IsRefusedAndNeverReachesTheOwner()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRequestGrain>($"client-{Guid.NewGuid():N}");
        var owner = new RecordingCanceller(answer: true);
        var reference = fixture.Cluster.Client.CreateObjectReference<IRequestCanceller>(owner);
        Assert.True((await grain.TryClaimAsync(new RequestOwner("router-a", "r1"), Alice, reference)).Claimed);

        Assert.False(await grain.CancelAsync("key:mallory"));
        Assert.False(await grain.CancelAsync("anonymous"));
        Assert.False(await grain.CancelAsync(""));

        Assert.Empty(owner.Calls);
        Assert.Equal("r1", (await grain.GetAsync())?.Owner.InternalRequestId); // the request is untouched
        GC.KeepAlive(owner);
    }

    [Fact]
    public async Task Cancel_UnknownOrReleasedId_AnswersFalseLikeAnotherPrincipal()
    {
        Assert.False(await fixture.Cluster.Client.GetGrain<IRequestGrain>($"never-{Guid.NewGuid():N}").CancelAsync(Alice));

        var grain = fixture.Cluster.Client.GetGrain<IRequestGrain>($"client-{Guid.NewGuid():N}");
        var owner = new RecordingCanceller(answer: true);
        var reference = fixture.Cluster.Client.CreateObjectReference<IRequestCanceller>(owner);
        Assert.True((await grain.TryClaimAsync(new RequestOwner("router-a", "r1"), Alice, reference)).Claimed);
        await grain.ReleaseAsync("r1");

        Assert.False(await grain.CancelAsync(Alice));
        Assert.Empty(owner.Calls);
        GC.KeepAlive(owner);
    }

    [Fact]
    public async Task Cancel_OwnerNoLongerRunsIt_AnswersFalse()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRequestGrain>($"client-{Guid.NewGuid():N}");
        var owner = new RecordingCanceller(answer: false); // the request ended on its router, its release not yet arrived
        var reference = fixture.Cluster.Client.CreateObjectReference<IRequestCanceller>(owner);
        Assert.True((await grain.TryClaimAsync(new RequestOwner("router-a", "r1"), Alice, reference)).Claimed);

        Assert.False(await grain.CancelAsync(Alice));
        Assert.Single(owner.Calls);
        GC.KeepAlive(owner);
    }

    private sealed class RecordingCanceller(bool answer) : IRequestCanceller
    {
        public List<(string Label, string InternalId, string Principal)> Calls { get; } = [];

        public Task<bool> CancelAsync(string label, string internalRequestId, string principal)
        {
            lock (Calls)
            {
                Calls.Add((label, internalRequestId, principal));
            }

            return Task.FromResult(answer);
        }
    }
}
