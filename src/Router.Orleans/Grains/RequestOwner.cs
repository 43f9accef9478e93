namespace Cluster.Router.Orleans.Grains;

/// <summary>Who runs a claimed request: the router and the router's internal request id.</summary>
[GenerateSerializer, Immutable, Alias("cluster.RequestOwner")]
public sealed record RequestOwner([property: Id(0)] string RouterId, [property: Id(1)] string InternalRequestId);
