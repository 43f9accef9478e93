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

    /// <summary>Extends every admission of <paramref name="routerId"/> by <paramref name="lease"/> from now.</summary>
    Task RenewAsync(string routerId, TimeSpan lease);

    /// <summary>What is admitted now (expired leases dropped first).</summary>
    Task<AdmissionDecision> GetLoadAsync();
}
