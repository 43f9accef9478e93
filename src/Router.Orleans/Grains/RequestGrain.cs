using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Placement;

namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// <see cref="IRequestGrain"/>, in memory only. Local placement keeps the claim an in-process call for the router that
/// runs the request; a duplicate or a cancel from another router reaches this activation through the grain directory.
/// When the owning router's silo dies, the activation (and so the claim) goes with it once membership declares the silo dead.
/// </summary>
[PreferLocalPlacement]
public sealed partial class RequestGrain(ILogger<RequestGrain> logger) : Grain, IRequestGrain
{
    private RequestLifecycle? _live;
    private string _principal = "";
    private IRequestCanceller? _canceller;

    public Task<RequestClaim> TryClaimAsync(RequestOwner owner, string principal, IRequestCanceller? canceller)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(principal);
        if (_live is { } holder && holder.Owner != owner)
        {
            return Task.FromResult(new RequestClaim(false, holder));
        }

        if (_live is null)
        {
            _live = new RequestLifecycle(owner, "admitting", "", "");
            _principal = principal;
            _canceller = canceller;
        }

        return Task.FromResult(new RequestClaim(true, _live));
    }

    public Task RoutedAsync(string internalRequestId, string prefillWorker, string decodeWorker, int tokensDelivered)
    {
        if (_live is { } live && live.Owner.InternalRequestId == internalRequestId)
        {
            _live = live with { State = "running", PrefillWorker = prefillWorker, DecodeWorker = decodeWorker, TokensDelivered = tokensDelivered };
        }

        return Task.CompletedTask;
    }

    public Task EndedAsync(string internalRequestId, int tokensDelivered, bool completed)
    {
        if (_live is { } live && live.Owner.InternalRequestId == internalRequestId)
        {
            _live = live with { State = completed ? "finished" : "stopped", TokensDelivered = tokensDelivered };
        }
        else if (_live is null)
        {
            DeactivateOnIdle(); // arrived after the release (the report is not awaited): no activation lingers for it
        }

        return Task.CompletedTask;
    }

    public async Task<bool> CancelAsync(string principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (_live is not { } live)
        {
            DeactivateOnIdle(); // an unknown id: no activation lingers for it
            return false;
        }

        if (!SamePrincipal(_principal, principal) || _canceller is null)
        {
            return false;
        }

        try
        {
            return await _canceller.CancelAsync(this.GetPrimaryKeyString(), live.Owner.InternalRequestId, principal);
        }
        catch (Exception e)
        {
            // The owner is gone or does not answer: its request ends with it (its silo's death frees this grain too).
            LogOwnerUnreachable(logger, live.Owner.RouterId, e.Message);
            return false;
        }
    }

    public Task ReleaseAsync(string internalRequestId)
    {
        if (_live is { } live && live.Owner.InternalRequestId == internalRequestId)
        {
            _live = null;
            _principal = "";
            _canceller = null;
            DeactivateOnIdle();
        }

        return Task.CompletedTask;
    }

    public Task<RequestLifecycle?> GetAsync() => Task.FromResult(_live);

    private static bool SamePrincipal(string owner, string asking) =>
        owner.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(owner), Encoding.UTF8.GetBytes(asking));

    [LoggerMessage(Level = LogLevel.Warning, Message = "A cancel by request id could not reach the owning router {RouterId} ({Error})")]
    private static partial void LogOwnerUnreachable(ILogger logger, string routerId, string error);
}
