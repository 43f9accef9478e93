using Cluster.Router.Orleans.Grains;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Cluster.Router.Orleans.Tests;

/// <summary>A worker grain whose silo went away reactivates empty; the routers' renewals re-seed their live admissions.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class WorkerAdmissionReseedTests(GrainClusterFixture fixture)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Renew_AfterTheGrainsSiloStopped_TheFreshActivationRelearnsEachRoutersLiveAdmissions()
    {
        var silo = await fixture.Cluster.StartAdditionalSiloAsync();
        var grain = await ActivatedOnAsync(silo);
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("a1", "router-a", 3, 100, 8, Lease))).Admitted);
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("a2", "router-a", 5, 100, 8, Lease))).Admitted);
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("b1", "router-b", 4, 100, 8, Lease))).Admitted);
        Assert.Equal(0, await grain.RenewAsync(Renewal("router-a", ("a1", 3), ("a2", 5)))); // nothing to re-seed: it holds them

        await fixture.Cluster.StopSiloAsync(silo); // the grain's state goes with its silo
        Assert.Equal((0, 0), Counts(await grain.GetLoadAsync())); // reactivated elsewhere, empty: it undercounts

        Assert.Equal(2, await grain.RenewAsync(Renewal("router-a", ("a1", 3), ("a2", 5))));
        Assert.Equal(1, await grain.RenewAsync(Renewal("router-b", ("b1", 4))));
        Assert.Equal((3, 12), Counts(await grain.GetLoadAsync()));
        Assert.Equal(new WorkerLoadShare(1, 4), await grain.GetOtherRoutersLoadAsync("router-a"));

        // Re-seeded admissions count against capacity like any other: 3 of 3 slots.
        Assert.False((await grain.TryAdmitAsync(new AdmissionRequest("c1", "router-c", 1, 100, 3, Lease))).Admitted);

        // Once re-seeded, a renewal only extends: a2 released meanwhile is not brought back by a renewal still carrying it.
        await grain.ReleaseAsync("a2");
        Assert.Equal(0, await grain.RenewAsync(Renewal("router-a", ("a1", 3), ("a2", 5))));
        Assert.Equal((2, 7), Counts(await grain.GetLoadAsync()));

        // router-b stops renewing (dead): its re-seeded admission expires with the lease, router-a's stays.
        GrainClusterFixture.Time.Advance(Lease / 2);
        await grain.RenewAsync(Renewal("router-a", ("a1", 3)));
        GrainClusterFixture.Time.Advance(Lease / 2 + TimeSpan.FromSeconds(1));
        Assert.Equal((1, 3), Counts(await grain.GetLoadAsync()));
    }

    private static AdmissionRenewal Renewal(string router, params (string Id, int Blocks)[] live) =>
        new(router, Lease, [.. live.Select(l => new HeldAdmission(l.Id, l.Blocks))]);

    private static (int, int) Counts(AdmissionDecision load) => (load.Requests, load.Blocks);

    /// <summary>
    /// A fresh worker grain whose activation landed on <paramref name="silo"/> (placement is not ours to choose: try keys).
    /// Bounded in time, not in tries: until the silo that places a new activation has the new silo in its membership view,
    /// no key lands there (200 quick tries once all missed it in CI).
    /// </summary>
    private async Task<IWorkerAdmissionGrain> ActivatedOnAsync(SiloHandle silo)
    {
        var management = fixture.Cluster.Client.GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var tries = 0;
        while (DateTime.UtcNow < deadline)
        {
            tries++;
            var grain = fixture.Cluster.Client.GetGrain<IWorkerAdmissionGrain>($"decode-{Guid.NewGuid():N}");
            await grain.GetLoadAsync();
            if (await management.GetActivationAddress(grain) == silo.SiloAddress)
            {
                return grain;
            }
        }

        throw new InvalidOperationException($"no worker grain of {tries} placed in 60 s landed on silo {silo.SiloAddress}; check the fixture's placement");
    }
}
