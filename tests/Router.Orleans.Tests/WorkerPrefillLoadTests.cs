using Cluster.Router.Orleans.Grains;

namespace Cluster.Router.Orleans.Tests;

/// <summary>
/// Prefill load in the tier: each router reports its prefills in flight on a worker with its periodic read
/// (<see cref="IWorkerAdmissionGrain.ExchangeLoadAsync"/>) and reads every other router's, alongside their admitted decodes.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class WorkerPrefillLoadTests(GrainClusterFixture fixture)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Exchange_EachRouterReadsTheOthersPrefillsAndDecodes_NotItsOwn()
    {
        var grain = fixture.Cluster.Client.GetGrain<IWorkerAdmissionGrain>($"prefill-{Guid.NewGuid():N}");
        Assert.True((await grain.TryAdmitAsync(new AdmissionRequest("d1", "router-c", 8, 100, 0, TimeSpan.FromSeconds(30)))).Admitted);

        Assert.Equal(new WorkerLoadShare(1, 8), await grain.ExchangeLoadAsync(new PrefillLoadReport("router-a", 2, 500, Ttl)));
        Assert.Equal(new WorkerLoadShare(1, 8, 2, 500), await grain.ExchangeLoadAsync(new PrefillLoadReport("router-b", 3, 700, Ttl)));
        Assert.Equal(new WorkerLoadShare(0, 0, 5, 1200), await grain.ExchangeLoadAsync(new PrefillLoadReport("router-c", 0, 0, Ttl)));

        // A new report replaces the router's previous one; a report of nothing removes it.
        await grain.ExchangeLoadAsync(new PrefillLoadReport("router-a", 1, 100, Ttl));
        await grain.ExchangeLoadAsync(new PrefillLoadReport("router-b", 0, 0, Ttl));
        Assert.Equal(new WorkerLoadShare(1, 8, 1, 100), await grain.GetOtherRoutersLoadAsync("router-b"));
    }

    [Fact]
    public async Task Exchange_LowPriorityPartOfEachReport_AddsUpApartForTheOtherRouters()
    {
        var grain = fixture.Cluster.Client.GetGrain<IWorkerAdmissionGrain>($"prefill-{Guid.NewGuid():N}");
        await grain.ExchangeLoadAsync(new PrefillLoadReport("router-a", 3, 3000, Ttl, LowPriorityPrefillTokens: 2500));
        await grain.ExchangeLoadAsync(new PrefillLoadReport("router-b", 1, 400, Ttl)); // no low part: all normal

        Assert.Equal(new WorkerLoadShare(0, 0, 4, 3400, LowPriorityPrefillTokens: 2500), await grain.GetOtherRoutersLoadAsync("router-c"));
        Assert.Equal(new WorkerLoadShare(0, 0, 1, 400), await grain.ExchangeLoadAsync(new PrefillLoadReport("router-a", 3, 3000, Ttl, LowPriorityPrefillTokens: 2500)));
        Assert.Equal(new WorkerLoadShare(0, 0, 3, 3000, LowPriorityPrefillTokens: 2500), await grain.GetOtherRoutersLoadAsync("router-b"));
    }

    [Fact]
    public async Task Exchange_RouterStopsReporting_ItsPrefillsLapseAfterTheTtl()
    {
        var grain = fixture.Cluster.Client.GetGrain<IWorkerAdmissionGrain>($"prefill-{Guid.NewGuid():N}");
        await grain.ExchangeLoadAsync(new PrefillLoadReport("router-dead", 4, 4000, Ttl));
        await grain.ExchangeLoadAsync(new PrefillLoadReport("router-live", 1, 64, TimeSpan.FromSeconds(10)));
        Assert.Equal(new WorkerLoadShare(0, 0, 5, 4064), await grain.GetOtherRoutersLoadAsync("router-reader"));

        GrainClusterFixture.Time.Advance(TimeSpan.FromSeconds(2)); // past router-dead's TTL, within router-live's
        Assert.Equal(new WorkerLoadShare(0, 0, 1, 64), await grain.GetOtherRoutersLoadAsync("router-reader"));
    }
}
