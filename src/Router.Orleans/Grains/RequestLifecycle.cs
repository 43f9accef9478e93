namespace Cluster.Router.Orleans.Grains;

/// <summary>A live request as the cluster knows it.</summary>
/// <param name="Owner">The router running it and its internal id.</param>
/// <param name="State"><c>admitting</c> until routed, then <c>running</c>; at its end <c>finished</c> or <c>stopped</c> (failed, cancelled), until released.</param>
/// <param name="PrefillWorker">The chosen prefill worker; empty while admitting or when D prefills locally.</param>
/// <param name="DecodeWorker">The chosen decode worker; empty while admitting.</param>
/// <param name="TokensDelivered">Tokens generated before the last route (non-zero after a migration); at the end, in all.</param>
[GenerateSerializer, Immutable, Alias("cluster.RequestLifecycle")]
public sealed record RequestLifecycle(
    [property: Id(0)] RequestOwner Owner,
    [property: Id(1)] string State,
    [property: Id(2)] string PrefillWorker,
    [property: Id(3)] string DecodeWorker,
    [property: Id(4)] int TokensDelivered = 0);
