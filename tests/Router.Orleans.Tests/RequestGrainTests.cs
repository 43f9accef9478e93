using Cluster.Router.Orleans.Grains;

namespace Cluster.Router.Orleans.Tests;

[Collection(GrainClusterCollection.Name)]
public sealed class RequestGrainTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task TryClaim_DuplicateLiveIdFromManyRouters_ExactlyOneClaims()
    {
        var label = $"client-{Guid.NewGuid():N}";
        var claims = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            fixture.Cluster.Client.GetGrain<IRequestGrain>(label).TryClaimAsync(new RequestOwner($"router-{i % 3}", $"internal-{i}"))));

        var winner = Assert.Single(claims, c => c.Claimed);
        Assert.All(claims, c => Assert.Equal(winner.Holder.Owner, c.Holder.Owner)); // every loser is told who holds it
        Assert.Equal("admitting", winner.Holder.State);
    }

    [Fact]
    public async Task Release_ByTheHolder_FreesTheIdForANewRequest()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRequestGrain>($"client-{Guid.NewGuid():N}");
        var first = new RequestOwner("router-a", "r1");
        Assert.True((await grain.TryClaimAsync(first)).Claimed);
        Assert.False((await grain.TryClaimAsync(new RequestOwner("router-b", "r2"))).Claimed);

        await grain.ReleaseAsync("r2"); // not the holder: nothing changes
        Assert.Equal(first, (await grain.GetAsync())?.Owner);

        await grain.ReleaseAsync("r1");
        Assert.True((await grain.TryClaimAsync(new RequestOwner("router-b", "r2"))).Claimed);
    }

    [Fact]
    public async Task Routed_RecordsTheChosenWorkers()
    {
        var grain = fixture.Cluster.Client.GetGrain<IRequestGrain>($"client-{Guid.NewGuid():N}");
        Assert.True((await grain.TryClaimAsync(new RequestOwner("router-a", "r1"))).Claimed);
        await grain.RoutedAsync("r1", "prefill-1", "decode-2");
        var live = await grain.GetAsync();

        Assert.Equal(("running", "prefill-1", "decode-2"), (live!.State, live.PrefillWorker, live.DecodeWorker));
    }
}
