using Cluster.Contracts.V1;
using Cluster.Router.Routing;
using Microsoft.Extensions.Logging;

namespace Cluster.Router.Coordination;

/// <summary>
/// What overlaps on a run's critical path (ARCHITECTURE §6, hot path): the request's <see cref="TokenizedRequest.Precondition"/>
/// (the front end's cluster-wide id claim) runs alongside the prefix lookup and the policies and is awaited before the
/// first side effect; in the disaggregated path the decode admission runs alongside the Reserve on D (a speculative
/// reserve, cancelled when the admission refuses).
/// </summary>
internal sealed partial class RequestRun
{
    /// <summary>Waits for the request's precondition; its fault (e.g. a duplicate id, ALREADY_EXISTS) ends the run before any worker call.</summary>
    private Task AwaitPreconditionAsync(CancellationToken cancellationToken) =>
        request.Precondition is { IsCompletedSuccessfully: false } precondition ? precondition.WaitAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// The decode admission and the Reserve on D at once: the admission's round trip (the router tier's grain on another
    /// silo) hides behind the Reserve's. Both granted: the lease and the reservation. Admission refused: a reservation
    /// made meanwhile is cancelled, awaited (the same request id may reserve on D again next), and D is "no room now"
    /// (another decode worker, then the admission queue), as before the overlap. Reserve refused or failed: the
    /// admission is released and the Reserve's outcome stands (<see cref="ReserveAsync"/>). (null, null) in either case.
    /// </summary>
    private async Task<(IDisposable? Lease, ReserveResponse? Reservation)> AdmitAndReserveAsync(
        RoutingCandidate decode, int blocks, int promptLength, CancellationToken cancellationToken)
    {
        var admitting = services.DecodeAdmission.TryAdmitAsync(request.Id, decode, blocks, cancellationToken).AsTask();
        ReserveResponse? reservation;
        try
        {
            reservation = await ReserveAsync(decode, promptLength, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ReleaseAdmissionAsync(admitting).ConfigureAwait(false); // e.g. the decode attempts ran out, or the caller cancelled
            throw;
        }

        var admission = await admitting.ConfigureAwait(false); // a cancel throws here; End cancels the reservation on D
        if (admission.Lease is not { } lease)
        {
            if (reservation is not null)
            {
                LogSpeculativeReserveCancelled(services.Logger, request.Id.Value, decode.Id.Value, admission.Reason);
                await CancelQuietlyAsync(decode.Id, decode.Worker.Info.GrpcEndpoint).ConfigureAwait(false);
            }

            NoRoomNow(decode, admission.Reason, admission.Pushback); // the router tier: every router's admissions fill D
            return (null, null);
        }

        if (reservation is null)
        {
            lease.Dispose(); // D said no (or failed): its outcome is already recorded, the admission goes
            return (null, null);
        }

        return (lease, reservation);
    }

    private static async Task ReleaseAdmissionAsync(Task<DecodeAdmissionResult> admitting)
    {
        try
        {
            (await admitting.ConfigureAwait(false)).Lease?.Dispose();
        }
        catch (Exception)
        {
            // cancelled (or failed) before an answer: nothing was admitted to release here
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId}: the decode admission on {Decode} refused after a speculative Reserve ({Reason}); cancelling the reservation")]
    private static partial void LogSpeculativeReserveCancelled(ILogger logger, string requestId, string decode, string reason);
}
