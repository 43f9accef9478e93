using Cluster.Core.Ids;
using Cluster.Router.Routing;

namespace Cluster.Router.Coordination;

/// <summary>One router alone: every choice is admitted and counted in this router's in-flight work.</summary>
public sealed class LocalDecodeAdmission(InFlightTracker inFlight) : IDecodeAdmission
{
    public ValueTask<DecodeAdmissionResult> TryAdmitAsync(RequestId request, RoutingCandidate decode, int blocks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decode);
        return ValueTask.FromResult(DecodeAdmissionResult.Admitted(inFlight.TrackDecode(decode.Id, blocks)));
    }
}
