using System.Collections.Concurrent;
using Cluster.Core.Ids;
using Cluster.Router.Coordination;
using Cluster.Router.Orleans.Grains;
using Cluster.Router.Orleans.Hosting;
using Cluster.Router.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Tier;

/// <summary>
/// <see cref="IDecodeAdmission"/> of the router tier: one call to the decode worker's <see cref="IWorkerAdmissionGrain"/>
/// admits the run or refuses it against the worker's capacity, counting every router's admissions. Admitted work is
/// also counted in this router's <see cref="InFlightTracker"/> (the policies' view between heartbeats) and leased to
/// this router (<see cref="AdmissionLeaseRenewer"/> renews it); the lease's disposal releases it on the grain.
/// </summary>
public sealed partial class GrainDecodeAdmission(
    IGrainFactory grains, InFlightTracker inFlight, RouterIdentity router, IOptions<RouterTierOptions> options, ILogger<GrainDecodeAdmission> logger)
    : IDecodeAdmission
{
    private readonly ConcurrentDictionary<WorkerId, int> _held = new();

    /// <summary>Workers on which this router holds admissions now (what the renewer renews).</summary>
    public IEnumerable<WorkerId> HeldWorkers => _held.Where(h => h.Value > 0).Select(h => h.Key);

    public async ValueTask<DecodeAdmissionResult> TryAdmitAsync(RequestId request, RoutingCandidate decode, int blocks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var o = options.Value;
        var grain = grains.GetGrain<IWorkerAdmissionGrain>(decode.Id.Value);
        var info = decode.Worker.Info;
        _held.AddOrUpdate(decode.Id, 1, (_, n) => n + 1); // before the call: a renewal may not miss it
        AdmissionDecision decision;
        try
        {
            decision = await grain.TryAdmitAsync(new AdmissionRequest(request.Value, router.Id, blocks, info.TotalKvBlocks, info.MaxBatch, o.AdmissionLease))
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The tier cannot answer (a silo leaving, a call timeout): the worker's own Reserve still guards its capacity.
            Held(decode.Id, -1);
            LogTierUnavailable(logger, request.Value, decode.Id.Value, e.Message);
            return DecodeAdmissionResult.Admitted(inFlight.TrackDecode(decode.Id, blocks));
        }
        catch
        {
            Held(decode.Id, -1);
            _ = ReleaseQuietlyAsync(grain, request.Value); // the admission may have happened before the cancel
            throw;
        }

        if (!decision.Admitted)
        {
            Held(decode.Id, -1);
            return DecodeAdmissionResult.NoRoomNow($"router tier: {decision.Reason}", o.AdmissionPushback);
        }

        return DecodeAdmissionResult.Admitted(new Lease(this, grain, decode.Id, request.Value, inFlight.TrackDecode(decode.Id, blocks)));
    }

    private void Held(WorkerId worker, int delta) => _held.AddOrUpdate(worker, Math.Max(0, delta), (_, n) => Math.Max(0, n + delta));

    private async Task ReleaseQuietlyAsync(IWorkerAdmissionGrain grain, string request)
    {
        try
        {
            await grain.ReleaseAsync(request).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogReleaseFailed(logger, request, e.Message); // the lease expires it
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: the router tier did not answer the admission to {Worker} ({Error}); admitted locally, the worker's Reserve decides")]
    private static partial void LogTierUnavailable(ILogger logger, string requestId, string worker, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId}: releasing its admission failed ({Error}); its lease expires it")]
    private static partial void LogReleaseFailed(ILogger logger, string requestId, string error);

    private sealed class Lease(GrainDecodeAdmission owner, IWorkerAdmissionGrain grain, WorkerId worker, string request, IDisposable local) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                local.Dispose();
                owner.Held(worker, -1);
                _ = owner.ReleaseQuietlyAsync(grain, request);
            }
        }
    }
}
