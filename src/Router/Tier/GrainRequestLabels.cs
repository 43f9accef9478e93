using Cluster.Router.Api;
using Cluster.Router.Api.Text;
using Cluster.Router.Orleans.Grains;
using Cluster.Router.Orleans.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Router.Tier;

/// <summary>
/// <see cref="IRequestLabels"/> of the router tier: the label is claimed on this router (<see cref="LiveRequestLabels"/>,
/// no call for a local duplicate), then on the label's <see cref="IRequestGrain"/>, which refuses a label live on any
/// other router: ALREADY_EXISTS / HTTP 409, the first request untouched. The claim records the caller's principal and
/// this router's <see cref="LocalRequestCanceller"/>, so a cancel naming the label works from any router (for that
/// principal only). Routes and the end (tokens delivered in all) are reported to the grain fire-and-forget. Disposing
/// releases both claims.
/// </summary>
public sealed partial class GrainRequestLabels(
    LiveRequestLabels local, LocalRequestCanceller canceller, IGrainFactory grains, RouterIdentity router, ILogger<GrainRequestLabels> logger)
    : IRequestLabels
{
    private readonly Lazy<IRequestCanceller> _cancellerReference = new(() => grains.CreateObjectReference<IRequestCanceller>(canceller));

    public async ValueTask<ILabelHandle> ClaimAsync(LabelClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var localClaim = local.Claim(claim);
        var grain = grains.GetGrain<IRequestGrain>(claim.Label);
        RequestClaim answer;
        try
        {
            answer = await grain.TryClaimAsync(new RequestOwner(router.Id, claim.InternalId), claim.Principal, _cancellerReference.Value)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTierUnavailable(logger, claim.Label, e.Message); // uniqueness and cancel by id fall back to this router's labels
            return new Handle(localClaim, null, claim.InternalId, logger);
        }
        catch
        {
            localClaim.Dispose();
            throw;
        }

        if (!answer.Claimed)
        {
            localClaim.Dispose();
            throw new ApiException(ApiErrorKind.Conflict,
                $"A request with request id '{claim.Label}' is still running on another router of this cluster; wait for it to end or choose another id.", "request_id");
        }

        return new Handle(localClaim, grain, claim.InternalId, logger);
    }

    public async ValueTask<bool> CancelAsync(string label, string principal, CancellationToken cancellationToken)
    {
        if (local.Cancel(label, principal))
        {
            return true; // running here: no grain call
        }

        try
        {
            return await grains.GetGrain<IRequestGrain>(label).CancelAsync(principal).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCancelUnavailable(logger, e.Message);
            throw new ApiException(ApiErrorKind.Unavailable, "The router tier did not answer the cancel; retry.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request label {Label}: the router tier did not answer the claim ({Error}); unique and cancellable by id on this router only")]
    private static partial void LogTierUnavailable(ILogger logger, string label, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A cancel by request id: the router tier did not answer ({Error})")]
    private static partial void LogCancelUnavailable(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Releasing request label of {RequestId} failed ({Error}); it goes with its silo")]
    private static partial void LogReleaseFailed(ILogger logger, string requestId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reporting the route or end of {RequestId} to its request grain failed ({Error})")]
    private static partial void LogRoutedFailed(ILogger logger, string requestId, string error);

    private sealed class Handle(IDisposable local, IRequestGrain? grain, string internalId, ILogger logger) : ILabelHandle
    {
        private int _disposed;

        public void Routed(string prefillWorker, string decodeWorker, int tokensDelivered)
        {
            if (grain is not null)
            {
                _ = ReportAsync(grain.RoutedAsync(internalId, prefillWorker, decodeWorker, tokensDelivered));
            }
        }

        public void Ended(int tokensDelivered, bool completed)
        {
            if (grain is not null)
            {
                _ = ReportAsync(grain.EndedAsync(internalId, tokensDelivered, completed));
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            try
            {
                if (grain is not null)
                {
                    await grain.ReleaseAsync(internalId).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                LogReleaseFailed(logger, internalId, e.Message);
            }
            finally
            {
                local.Dispose();
            }
        }

        private async Task ReportAsync(Task call)
        {
            try
            {
                await call.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogRoutedFailed(logger, internalId, e.Message);
            }
        }
    }
}
