using Orleans.Placement;

namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// <see cref="IRequestGrain"/>, in memory only. Local placement keeps the claim an in-process call for the router that
/// runs the request; a duplicate from another router reaches this activation through the grain directory. When the
/// owning router's silo dies, the activation (and so the claim) goes with it once membership declares the silo dead.
/// </summary>
[PreferLocalPlacement]
public sealed class RequestGrain : Grain, IRequestGrain
{
    private RequestLifecycle? _live;

    public Task<RequestClaim> TryClaimAsync(RequestOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (_live is { } holder && holder.Owner != owner)
        {
            return Task.FromResult(new RequestClaim(false, holder));
        }

        _live ??= new RequestLifecycle(owner, "admitting", "", "");
        return Task.FromResult(new RequestClaim(true, _live));
    }

    public Task RoutedAsync(string internalRequestId, string prefillWorker, string decodeWorker)
    {
        if (_live is { } live && live.Owner.InternalRequestId == internalRequestId)
        {
            _live = live with { State = "running", PrefillWorker = prefillWorker, DecodeWorker = decodeWorker };
        }

        return Task.CompletedTask;
    }

    public Task ReleaseAsync(string internalRequestId)
    {
        if (_live is { } live && live.Owner.InternalRequestId == internalRequestId)
        {
            _live = null;
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public Task<RequestLifecycle?> GetAsync() => Task.FromResult(_live);
}
