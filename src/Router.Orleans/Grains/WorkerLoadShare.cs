namespace Cluster.Router.Orleans.Grains;

/// <summary>The work on a worker of every router but the asking one (what the asking router cannot count itself).</summary>
/// <param name="Requests">Requests admitted to the worker (decode) by the other routers.</param>
/// <param name="Blocks">KV blocks those requests hold.</param>
/// <param name="Prefills">Prefill calls the other routers have in flight on the worker, as they last reported them.</param>
/// <param name="PrefillTokens">Prompt tokens of those prefills still to be computed (uncached part), of every priority.</param>
/// <param name="LowPriorityPrefillTokens">Of <paramref name="PrefillTokens"/>, those of low-priority (batch) prefills
/// (0 from a grain that predates the field: all counted as normal).</param>
[GenerateSerializer, Immutable, Alias("cluster.WorkerLoadShare")]
public readonly record struct WorkerLoadShare(
    [property: Id(0)] int Requests,
    [property: Id(1)] int Blocks,
    [property: Id(2)] int Prefills = 0,
    [property: Id(3)] long PrefillTokens = 0,
    [property: Id(4)] long LowPriorityPrefillTokens = 0);
