namespace Cluster.Router.Orleans.Grains;

/// <summary>The worker grain's answer, with its admitted totals after the decision.</summary>
/// <param name="Admitted">True when the request now holds a place on the worker.</param>
/// <param name="Requests">Requests admitted to the worker (every router).</param>
/// <param name="Blocks">KV blocks those requests hold.</param>
/// <param name="Reason">Why a request was refused; empty when admitted.</param>
[GenerateSerializer, Immutable, Alias("cluster.AdmissionDecision")]
public sealed record AdmissionDecision(
    [property: Id(0)] bool Admitted,
    [property: Id(1)] int Requests,
    [property: Id(2)] int Blocks,
    [property: Id(3)] string Reason);
