namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// One per worker (key: the worker id). The single authority, across every router of the cluster, for the work admitted
/// to that worker and not finished yet: <see cref="TryAdmitAsync"/> admits a request or refuses it against the worker's
/// capacity in one grain turn (grains are not reentrant), so two routers can never overbook the worker. Each admission is
/// leased to its router: it ends when released, or when its router stops renewing (a dead router).
/// </summary>
public interface IWorkerAdmissionGrain : IGrainWithStringKey
{
    /// <summary>Admits <paramref name="admission"/> when the worker's admitted requests and KV blocks stay within its capacity.</summary>
    Task<AdmissionDecision> TryAdmitAsync(AdmissionRequest admission);

    /// <summary>Ends the admission of <paramref name="requestId"/> (finished, failed, cancelled, or moved). Idempotent.</summary>
    Task ReleaseAsync(string requestId);

    /// <summary>
    /// Extends the router's live admissions by its lease from now. On the first renewal from that router in this
    /// activation, the live admissions the grain does not hold are added (re-seeded: the grain reactivated empty after its
    /// silo died). Later renewals only extend: an admission released meanwhile is not brought back. Admissions of the
    /// router that the renewal does not carry keep their expiry. Returns how many admissions were re-seeded.
    /// </summary>
    Task<int> RenewAsync(AdmissionRenewal renewal);

    /// <summary>What is admitted now (expired leases dropped first).</summary>
    Task<AdmissionDecision> GetLoadAsync();

    /// <summary>
    /// The work of every router except <paramref name="routerId"/>: admitted decodes (expired leases dropped first) and
    /// reported prefills (lapsed reports dropped).
    /// </summary>
    Task<WorkerLoadShare> GetOtherRoutersLoadAsync(string routerId);

    /// <summary>
    /// Records <paramref name="report"/> (the reporting router's prefills in flight on the worker, replacing its previous
    /// report) and returns every other router's work, as <see cref="GetOtherRoutersLoadAsync"/>: one call per worker and
    /// refresh interval both shares this router's prefill load and reads the others'.
    /// </summary>
    Task<WorkerLoadShare> ExchangeLoadAsync(PrefillLoadReport report);
}
