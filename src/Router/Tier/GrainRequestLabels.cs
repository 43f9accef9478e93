using Cluster.Router.Api;
using Cluster.Router.Api.Text;
using Cluster.Router.Orleans.Grains;
using Cluster.Router.Orleans.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Router.Tier;

/// <summary>
/// <see cref="IRequestLabels"/> of the router tier: the label is claimed on this router (<see cref="LiveRequestLabels"/>,
/// no call for a local duplicate), then on the label's <see cref="IRequestGrain"/>, which refuses a label live on any
/// other router: ALREADY_EXISTS / HTTP 409, the first request untouched. Disposing releases both.
/// </summary>
public sealed partial class GrainRequestLabels(LiveRequestLabels local, IGrainFactory grains, RouterIdentity router, ILogger<GrainRequestLabels> logger)
    : IRequestLabels
{
    public async ValueTask<IAsyncDisposable> ClaimAsync(string label, string internalId, CancellationToken cancellationToken)
    {
        var localClaim = local.Claim(label);
        var grain = grains.GetGrain<IRequestGrain>(label);
        RequestClaim claim;
        try
        {
            claim = await grain.TryClaimAsync(new RequestOwner(router.Id, internalId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTierUnavailable(logger, label, e.Message); // uniqueness falls back to this router's labels
            return new Claim(localClaim, null, internalId, logger);
        }
        catch
        {
            localClaim.Dispose();
            throw;
        }

        if (!claim.Claimed)
        {
            localClaim.Dispose();
            throw new ApiException(ApiErrorKind.Conflict,
                $"A request with request id '{label}' is still running on another router of this cluster; wait for it to end or choose another id.", "request_id");
        }

        return new Claim(localClaim, grain, internalId, logger);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request label {Label}: the router tier did not answer the claim ({Error}); unique on this router only")]
    private static partial void LogTierUnavailable(ILogger logger, string label, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Releasing request label of {RequestId} failed ({Error}); it goes with its silo")]
    private static partial void LogReleaseFailed(ILogger logger, string requestId, string error);

    private sealed class Claim(IDisposable local, IRequestGrain? grain, string internalId, ILogger logger) : IAsyncDisposable
    {
        private int _disposed;

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
    }
}
