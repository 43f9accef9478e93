namespace Cluster.Router.Orleans.Grains;

/// <summary>The answer to a claim: <paramref name="Claimed"/>, else the request that holds the id now.</summary>
[GenerateSerializer, Immutable, Alias("cluster.RequestClaim")]
public sealed record RequestClaim([property: Id(0)] bool Claimed, [property: Id(1)] RequestLifecycle Holder);
