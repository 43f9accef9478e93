using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;

namespace Cluster.Engine.Serving;

/// <summary>
/// A request as the engine takes it. <see cref="Generated"/> are output tokens produced before this submission (a
/// migrated request, or the prefill worker's first token for <see cref="InferenceEngine.SubmitImported(EngineRequest, CancellationToken)"/>):
/// their KV is computed (or imported) after the prompt's, but sampling counts them as output — presence and frequency
/// penalties, and a seeded draw continues where it stopped — so the tokens that follow equal an uninterrupted run's.
/// <see cref="GenerationParameters.MaxTokens"/> counts every output token, <see cref="Generated"/> included.
/// <see cref="CacheSalt"/> is part of the block hash seed (ARCHITECTURE §5): prefix blocks are shared only between
/// requests with equal salts, and the hashes published to the prefix index are the salted ones the router looks up.
/// </summary>
public sealed record EngineRequest(RequestId Id, IReadOnlyList<int> Prompt, GenerationParameters Sampling)
{
    /// <summary>Output tokens generated before this submission (none for a new request).</summary>
    public IReadOnlyList<int> Generated { get; init; } = [];

    /// <summary>The prefix cache's salt (empty: the model's shared cache).</summary>
    public string CacheSalt { get; init; } = "";

    /// <summary>Queue and preemption order against other requests (<see cref="EnginePriority"/>; default normal).</summary>
    public EnginePriority Priority { get; init; }

    /// <summary>Prompt then generated tokens.</summary>
    internal int[] AllTokens() => [.. Prompt, .. Generated];
}
