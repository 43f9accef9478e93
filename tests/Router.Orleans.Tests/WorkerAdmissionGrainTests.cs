using Cluster.Router.Orleans.Grains;

namespace Cluster.Router.Orleans.Tests;

[Collection(GrainClusterCollection.Name)]
public sealed class WorkerAdmissionGrainTests(GrainClusterFixture fixture)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TryAdmit_ConcurrentCallsFromManyRouters_AdmitExactlyTheCapacity()
    {
        var worker = $"decode-{Guid.NewGuid():N}";
        var silos = fixture.Cluster.Silos.Count;
        // 64 requests from 8 routers at once, through clients of every silo; room for 16 batch slots.
        var calls = Enumerable.Range(0, 64).Select(i =>
        {
            var client = fixture.Cluster.Client;
            return client.GetGrain<IWorkerAdmissionGrain>(worker)
                .TryAdmitAsync(new AdmissionRequest($"r{i}", $"router-{i % 8}", 2, TotalKvBlocks: 1000, MaxBatch: 16, Lease));
        }).ToList();
        var decisions = await Task.WhenAll(calls);

        Assert.True(silos >= 3);
        Assert.Equal(16, decisions.Count(d => d.Admitted));
        Assert.All(decisions, d => Assert.InRange(d.Requests, 1, 16));
        Assert.All(decisions.Where(d => !d.Admitted), d => Assert.Contains("16 of 16 batch slots", d.Reason, StringComparison.Ordinal));
        var load = await fixture.Cluster.Client.GetGrain<IWorkerAdmissionGrain>(worker).GetLoadAsync();
        Assert.Equal((16, 32), (load.Requests, load.Blocks));
    }

    [Fact]
    public async Task TryAdmit_KvBlocksFull_RefusesUntilReleased()
    {
        var grain = fixture.Cluster.Client.GetGrain<IWorkerAdmissionGrain>($"decode-{Guid.NewGuid():N}");
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("a", "router-1", 60, 100, 0, Lease))).Admitted);
        var refused = await grain.TryAdmitAsync(new AdmissionRequest("b", "router-2", 50, 100, 0, Lease));
        Assert.False(refused.Admitted);
        Assert.Contains("60 of 100 KV blocks", refused.Reason, StringComparison.Ordinal);

        await grain.ReleaseAsync("a");
        await grain.ReleaseAsync("a"); // idempotent
        var admitted = await grain.TryAdmitAsync(new AdmissionRequest("b", "router-2", 50, 100, 0, Lease));
        Assert.True(admitted.Admitted);
        Assert.Equal((1, 50), (admitted.Requests, admitted.Blocks));
    }

    [Fact]
    public async Task Lease_RouterStopsRenewing_ItsAdmissionsExpireAndTheOthersStay()
    {
        var grain = fixture.Cluster.Client.GetGrain<IWorkerAdmissionGrain>($"decode-{Guid.NewGuid():N}");
        var lease = TimeSpan.FromSeconds(9);
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("dead-1", "router-dead", 4, 100, 4, lease))).Admitted);
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("dead-2", "router-dead", 4, 100, 4, lease))).Admitted);
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("live-1", "router-live", 4, 100, 4, lease))).Admitted);

        GrainClusterFixture.Time.Advance(TimeSpan.FromSeconds(6));
        await grain.RenewAsync(new AdmissionRenewal("router-live", lease, [new("live-1", 4)])); // only the live router renews
        Assert.Equal(3, (await grain.GetLoadAsync()).Requests);

        GrainClusterFixture.Time.Advance(TimeSpan.FromSeconds(6)); // 12 s: router-dead's lease (9 s) has run out
        var load = await grain.GetLoadAsync();
        Assert.Equal((1, 4), (load.Requests, load.Blocks));
    }

    [Fact]
    public async Task TryAdmit_SameRequestAgain_ReplacesItsPlace()
    {
        var grain = fixture.Cluster.Client.GetGrain<IWorkerAdmissionGrain>($"decode-{Guid.NewGuid():N}");
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("a", "router-1", 10, 100, 1, Lease))).Admitted);
        var again = await grain.TryAdmitAsync(new AdmissionRequest("a", "router-1", 12, 100, 1, Lease));
        Assert.True(again.Admitted);
        Assert.Equal((1, 12), (again.Requests, again.Blocks));
    }
}
