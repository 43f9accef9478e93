namespace Cluster.Router.Orleans.Grains;

/// <summary>The work admitted to a worker by every router but the asking one (what the asking router cannot count itself).</summary>
/// <param name="Requests">Requests admitted by the other routers.</param>
/// <param name="Blocks">KV blocks those requests hold.</param>
[GenerateSerializer, Immutable, Alias("cluster.WorkerLoadShare")]
public readonly record struct WorkerLoadShare([property: Id(0)] int Requests, [property: Id(1)] int Blocks);
