using Cluster.Core.Ids;
using Cluster.Router.Routing;

namespace Cluster.Router.Coordination;

/// <summary>
/// The seam where a run takes a place on its chosen decode worker before reserving there (ARCHITECTURE §6). Local
/// (<see cref="LocalDecodeAdmission"/>): always admitted, counted in this router's <see cref="InFlightTracker"/> (one
/// router alone). The router tier (src/Router/Tier) asks the worker's grain, which refuses what would overbook the
/// worker across every router. The returned lease is disposed once, when the run leaves the worker.
/// </summary>
public interface IDecodeAdmission
{
    ValueTask<DecodeAdmissionResult> TryAdmitAsync(RequestId request, RoutingCandidate decode, int blocks, CancellationToken cancellationToken);
}

/// <summary><paramref name="Lease"/> when admitted; else why not and how long to wait before asking again.</summary>
public readonly record struct DecodeAdmissionResult(IDisposable? Lease, string Reason, TimeSpan Pushback)
{
    public static DecodeAdmissionResult Admitted(IDisposable lease) => new(lease, "", TimeSpan.Zero);

    public static DecodeAdmissionResult NoRoomNow(string reason, TimeSpan pushback) => new(null, reason, pushback);
}
