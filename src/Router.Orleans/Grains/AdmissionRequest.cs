namespace Cluster.Router.Orleans.Grains;

/// <summary>A router asks to admit one request to a worker.</summary>
/// <param name="RequestId">The router's internal request id (unique per request run).</param>
/// <param name="RouterId">The asking router (<see cref="Hosting.RouterIdentity"/>): its admissions share a lease.</param>
/// <param name="Blocks">KV blocks the request needs on the worker (prompt + 1 token).</param>
/// <param name="TotalKvBlocks">The worker's KV capacity, from its registration.</param>
/// <param name="MaxBatch">The most requests the worker runs at once, from its registration; 0 = no limit.</param>
/// <param name="Lease">How long the admission lives without a renewal from its router.</param>
[GenerateSerializer, Immutable, Alias("cluster.AdmissionRequest")]
public sealed record AdmissionRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string RouterId,
    [property: Id(2)] int Blocks,
    [property: Id(3)] int TotalKvBlocks,
    [property: Id(4)] int MaxBatch,
    [property: Id(5)] TimeSpan Lease);
