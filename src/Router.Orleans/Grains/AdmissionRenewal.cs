namespace Cluster.Router.Orleans.Grains;

/// <summary>
/// A router's periodic renewal on one worker grain: extends its admissions there and carries the ones it holds live,
/// so that a grain which reactivated empty (its silo died) re-learns them within one renewal period.
/// </summary>
/// <param name="RouterId">The renewing router (<see cref="Hosting.RouterIdentity"/>).</param>
/// <param name="Lease">How long its admissions live from now without another renewal.</param>
/// <param name="Live">Its admissions on the worker that have not ended (request id and KV blocks).</param>
[GenerateSerializer, Immutable, Alias("cluster.AdmissionRenewal")]
public sealed record AdmissionRenewal(
    [property: Id(0)] string RouterId,
    [property: Id(1)] TimeSpan Lease,
    [property: Id(2)] HeldAdmission[] Live);

/// <summary>One admission a router holds: its request id and the KV blocks it needs.</summary>
[GenerateSerializer, Immutable, Alias("cluster.HeldAdmission")]
public sealed record HeldAdmission([property: Id(0)] string RequestId, [property: Id(1)] int Blocks);
