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
/// this router (<see cref="AdmissionLeaseRenewer"/> renews it, carrying <see cref="Live"/> so that a reactivated grain
/// re-learns it); the lease's disposal releases it on the grain.
/// </summary>
public sealed partial class GrainDecodeAdmission(
    IGrainFactory grains, InFlightTracker inFlight, RouterIdentity router, IOptions<RouterTierOptions> options, ILogger<GrainDecodeAdmission> logger)
    : IDecodeAdmission
{
    private readonly ConcurrentDictionary<WorkerId, ConcurrentDictionary<string, int>> _live = new();

    /// <summary>This router's admissions that have not ended, per worker (what the renewer renews and re-seeds).</summary>
    public IReadOnlyList<(WorkerId Worker, HeldAdmission[] Live)> Live =>
        [.. _live.Select(w => (w.Key, w.Value.Select(a => new HeldAdmission(a.Key, a.Value)).ToArray())).Where(w => w.Item2.Length > 0)];

    /// <summary>How many admissions this router holds on <paramref name="worker"/> now.</summary>
    public int LiveOn(WorkerId worker) => _live.TryGetValue(worker, out var live) ? live.Count : 0;

    /// <summary>The KV blocks of those admissions.</summary>
    public int LiveBlocksOn(WorkerId worker) => _live.TryGetValue(worker, out var live) ? live.Values.Sum() : 0;

    public async ValueTask<DecodeAdmissionResult> TryAdmitAsync(RequestId request, RoutingCandidate decode, int blocks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        var o = options.Value;
        var grain = grains.GetGrain<IWorkerAdmissionGrain>(decode.Id.Value);
        var info = decode.Worker.Info;
        // Counted in this router's in-flight work from the call on (requests choosing meanwhile see it), given back on a refusal.
        var local = inFlight.TrackDecode(decode.Id, blocks);
        AdmissionDecision decision;
        try
        {
            decision = await grain.TryAdmitAsync(new AdmissionRequest(request.Value, router.Id, blocks, info.TotalKvBlocks, info.MaxBatch, o.AdmissionLease))
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The tier cannot answer (a silo leaving, a call timeout): the worker's own Reserve still guards its capacity.
            LogTierUnavailable(logger, request.Value, decode.Id.Value, e.Message);
            return DecodeAdmissionResult.Admitted(local);
        }
        catch
        {
            local.Dispose();
            _ = ReleaseQuietlyAsync(grain, request.Value); // the admission may have happened before the cancel
            throw;
        }

        if (!decision.Admitted)
        {
            local.Dispose();
            return DecodeAdmissionResult.NoRoomNow($"router tier: {decision.Reason}", o.AdmissionPushback);
        }

        // Recorded after the grain admitted it: the admission has a full lease, the next renewal (a third of it) carries it.
        _live.GetOrAdd(decode.Id, _ => new ConcurrentDictionary<string, int>(StringComparer.Ordinal))[request.Value] = blocks;
        return DecodeAdmissionResult.Admitted(new Lease(this, grain, decode.Id, request.Value, local));
    }

    private void Ended(WorkerId worker, string request)
    {
        if (_live.TryGetValue(worker, out var live))
        {
            live.TryRemove(request, out _);
        }
    }

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
                owner.Ended(worker, request);
                _ = owner.ReleaseQuietlyAsync(grain, request);
            }
        }
    }
}
