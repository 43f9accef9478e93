using Cluster.Contracts.V1;
using Cluster.Engine.Scheduling;
using Grpc.Core;
using Cluster.Worker.Engine;
using Cluster.Worker.Requests;

namespace Cluster.Worker.Grpc;

/// <summary>Checks shared by Reserve, Prefill and Decode: draining, role, model.</summary>
internal sealed class WorkerGuards(WorkerEngine engine, WorkerDrain drain)
{
    /// <summary>Refuses new work while draining, on the wrong role, or for another model.</summary>
    public void Admit(string method, string model, EngineRole refusedRole)
    {
        if (drain.IsDraining) throw CallFailures.Status(StatusCode.Unavailable, "worker draining: it is shutting down and takes no new requests; use another worker.");
        if (engine.Role == refusedRole)
        {
            throw CallFailures.Status(StatusCode.FailedPrecondition, $"{method} is not served by a {engine.Role.ToString().ToLowerInvariant()} worker; send it to a {(refusedRole == EngineRole.Prefill ? "decode or colocated" : "prefill or colocated")} worker.");
        }

        if (!string.IsNullOrEmpty(model) && model != engine.ModelId.Value)
        {
            throw CallFailures.Status(StatusCode.NotFound, $"This worker serves model '{engine.ModelId}', not '{model}'.");
        }
    }

    public static FinishReason Finish(Cluster.Engine.Generation.FinishReason reason) =>
        reason == Cluster.Engine.Generation.FinishReason.Stop ? FinishReason.Stop : FinishReason.Length;
}
