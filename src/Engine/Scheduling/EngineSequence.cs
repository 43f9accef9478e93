using System.Diagnostics;
using Cluster.Core.Ids;
using Cluster.Engine.Sampling;
using Cluster.Engine.Serving;

namespace Cluster.Engine.Scheduling;

/// <summary>
/// One request's state in the engine: its tokens (prompt, then output), how many have KV in the cache, its sampler
/// and its output. Touched only by the engine loop.
/// </summary>
internal sealed class EngineSequence(RequestId id, IReadOnlyList<int> prompt, SamplingParams parameters, long arrival, int maxPositions, RequestHandle handle)
{
    public RequestId Id { get; } = id;
    public List<int> Tokens { get; } = [.. prompt];
    public int PromptLength { get; } = prompt.Count;
    public SamplingParams Parameters { get; } = parameters;
    public long Arrival { get; } = arrival;
    public int MaxPositions { get; } = maxPositions;
    public RequestHandle Handle { get; } = handle;
    public List<float> LogProbs { get; } = [];
    public Stopwatch Clock { get; } = Stopwatch.StartNew();
    public TimeSpan? FirstTokenAt { get; set; }
    public Sampler? Sampler { get; set; }

    /// <summary>Tokens whose KV is in the cache (a prefix of <see cref="Tokens"/>).</summary>
    public int Computed { get; set; }

    /// <summary>The sequence holds blocks in the cache manager.</summary>
    public bool HoldsBlocks { get; set; }

    /// <summary>Tokens still to compute before the next sample.</summary>
    public int Remaining => Tokens.Count - Computed;

    public int OutputCount => Tokens.Count - PromptLength;

    /// <summary>Prompt tokens found in the prefix cache, over every (re)admission.</summary>
    public int CachedTokens { get; set; }
}
