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
/// principal only). The grain's answer is not awaited by the claim: it is the handle's <see cref="ILabelHandle.Confirmed"/>,
/// which the coordinator awaits before its first worker call, so that the round trip overlaps the routing decision. A
/// label this router made up (<see cref="LabelClaim.ChosenByRouter"/>: 128 random bits) is confirmed at once: the grain
/// claim still goes out, for cancels from other routers, but nothing waits for it (a refusal, which only a client that
/// copied a live made-up id could cause, is logged and leaves this request running). Routes and the end (tokens delivered in all) are reported to the grain fire-and-forget. Disposing releases both
/// claims, after the grain's answer when it is still in flight (a request cancelled meanwhile leaves nothing claimed).
/// </summary>
public sealed partial class GrainRequestLabels(
    LiveRequestLabels local, LocalRequestCanceller canceller, IGrainFactory grains, RouterIdentity router, ILogger<GrainRequestLabels> logger)
    : IRequestLabels
{
    private readonly Lazy<IRequestCanceller> _cancellerReference = new(() => grains.CreateObjectReference<IRequestCanceller>(canceller));

    public ValueTask<ILabelHandle> ClaimAsync(LabelClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var localClaim = local.Claim(claim); // a duplicate on this router: Conflict at once, no grain call
        var grain = grains.GetGrain<IRequestGrain>(claim.Label);
        // Not awaited here: the grain's answer (Handle.Confirmed) overlaps the routing decision. Not cancellable either:
        // a claim made after its caller left must still be seen, so that the handle's disposal releases it.
        var answer = ClaimOnGrainAsync(grain, claim);
        if (claim.ChosenByRouter)
        {
            _ = LogIfRefusedAsync(answer, claim.InternalId);
        }

        return ValueTask.FromResult<ILabelHandle>(new Handle(localClaim, grain, answer, claim.InternalId, logger)
        {
            Confirmed = claim.ChosenByRouter ? Task.CompletedTask : answer,
        });
    }

    /// <summary>True: the grain holds the label for this request. False: the tier did not answer (this router's claim stands). Conflict: another router's.</summary>
    private async Task<bool> ClaimOnGrainAsync(IRequestGrain grain, LabelClaim claim)
    {
        RequestClaim answer;
        try
        {
            answer = await grain.TryClaimAsync(new RequestOwner(router.Id, claim.InternalId), claim.Principal, _cancellerReference.Value).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogTierUnavailable(logger, claim.Label, e.Message); // uniqueness and cancel by id fall back to this router's labels
            return false;
        }

        return answer.Claimed
            ? true
            : throw new ApiException(ApiErrorKind.Conflict,
                $"A request with request id '{claim.Label}' is still running on another router of this cluster; wait for it to end or choose another id.", "request_id");
    }

    // A made-up label runs whatever the grain answers: a refusal (only a client that copied a live made-up id can cause
    // one) is logged, and this request stays cancellable by id on this router only.
    private async Task LogIfRefusedAsync(Task<bool> answer, string internalId)
    {
        try
        {
            await answer.ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            LogMadeUpLabelRefused(logger, internalId, e.Message);
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: the router tier refused the request id this router made up for it ({Error}); it runs on, cancellable by id on this router only")]
    private static partial void LogMadeUpLabelRefused(ILogger logger, string requestId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reporting the route or end of {RequestId} to its request grain failed ({Error})")]
    private static partial void LogRoutedFailed(ILogger logger, string requestId, string error);

    private sealed class Handle(IDisposable local, IRequestGrain grain, Task<bool> claimed, string internalId, ILogger logger) : ILabelHandle
    {
        private int _disposed;

        public required Task Confirmed { get; init; }

        // After Confirmed; for a made-up label the claim may still be in flight: the route is reported once it is held.
        public void Routed(string prefillWorker, string decodeWorker, int tokensDelivered) =>
            _ = ReportAsync(RoutedAsync(prefillWorker, decodeWorker, tokensDelivered));

        public void Ended(int tokensDelivered, bool completed) =>
            _ = ReportAsync(EndedAsync(tokensDelivered, completed)); // the claim may still be in flight (the run failed early)

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            try
            {
                // Also when the request was cancelled with its claim in flight: whatever the grain claimed is released.
                if (await HeldAsync().ConfigureAwait(false))
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

        private async Task<bool> HeldAsync()
        {
            try
            {
                return await claimed.ConfigureAwait(false);
            }
            catch (ApiException)
            {
                return false; // refused: another router's
            }
        }

        private async Task RoutedAsync(string prefillWorker, string decodeWorker, int tokensDelivered)
        {
            if (await HeldAsync().ConfigureAwait(false))
            {
                await grain.RoutedAsync(internalId, prefillWorker, decodeWorker, tokensDelivered).ConfigureAwait(false);
            }
        }

        private async Task EndedAsync(int tokensDelivered, bool completed)
        {
            if (await HeldAsync().ConfigureAwait(false))
            {
                await grain.EndedAsync(internalId, tokensDelivered, completed).ConfigureAwait(false);
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
