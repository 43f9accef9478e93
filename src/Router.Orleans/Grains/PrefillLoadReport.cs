namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// A router's own prefills in flight on one worker, sent with its periodic load read
/// (<see cref="IWorkerAdmissionGrain.ExchangeLoadAsync"/>): prefills are not admitted through the grain, so this is how
/// the other routers learn of them. It replaces the router's previous report and lapses after <paramref name="Ttl"/>
/// (a dead router's report does not stay).
/// </summary>
/// <param name="RouterId">The reporting router (<see cref="Hosting.RouterIdentity"/>).</param>
/// <param name="Prefills">Its prefill calls in flight on the worker.</param>
/// <param name="PrefillTokens">Their prompt tokens still to be computed (uncached part), of every priority.</param>
/// <param name="Ttl">How long the report counts without the next one.</param>
/// <param name="LowPriorityPrefillTokens">Of <paramref name="PrefillTokens"/>, those of low-priority (batch) prefills
/// (0 from a router that predates the field: all counted as normal).</param>
[GenerateSerializer, Immutable, Alias("cluster.PrefillLoadReport")]
public sealed record PrefillLoadReport(
    [property: Id(0)] string RouterId,
    [property: Id(1)] int Prefills,
    [property: Id(2)] long PrefillTokens,
    [property: Id(3)] TimeSpan Ttl,
    [property: Id(4)] long LowPriorityPrefillTokens = 0);
