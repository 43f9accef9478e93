using Cluster.Core.Ids;

namespace Cluster.ClusterState.Model;

/// <summary>
/// What a worker announces when it registers: identity, role, model, where to reach it and how big it is.
/// Fixed for the life of a registration; the changing part is <see cref="WorkerLoad"/>.
/// </summary>
/// <param name="Id">The worker.</param>
/// <param name="Role">Prefill, decode or colocated.</param>
/// <param name="Model">The one model this worker serves.</param>
/// <param name="GrpcEndpoint">Address of its <c>cluster.v1.Worker</c> service, e.g. <c>http://10.0.0.5:50051</c>.</param>
/// <param name="KvTransferEndpoint">Address of its KV transfer service (decode side receives, prefill side may be empty).</param>
/// <param name="TotalKvBlocks">Capacity of its paged KV cache, in blocks.</param>
/// <param name="MaxBatch">Most sequences it runs in one engine step.</param>
/// <param name="HttpEndpoint">Address of its HTTP port (<c>/metrics</c>, <c>/readyz</c>), e.g. <c>http://10.0.0.5:8081</c>; empty when not announced.</param>
public sealed record WorkerInfo(
    WorkerId Id,
    WorkerRole Role,
    ModelId Model,
    string GrpcEndpoint,
    string KvTransferEndpoint,
    int TotalKvBlocks,
    int MaxBatch,
    string HttpEndpoint = "")
{
    /// <summary>Throws when a field is out of range; called by both registries before anything is stored.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Id.Value))
        {
            throw new ArgumentException("WorkerInfo.Id is empty: give every worker a unique, non-empty id.", nameof(Id));
        }

        if (string.IsNullOrWhiteSpace(Model.Value))
        {
            throw new ArgumentException($"WorkerInfo.Model of worker '{Id}' is empty: set the model the worker serves.", nameof(Model));
        }

        if (TotalKvBlocks < 0 || MaxBatch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TotalKvBlocks), $"Worker '{Id}' reports negative capacity (TotalKvBlocks={TotalKvBlocks}, MaxBatch={MaxBatch}).");
        }
    }
}
