using Cluster.Core.Generation;
using System.Diagnostics;
using Cluster.Core.Ids;
using Cluster.Engine.Sampling;
using Cluster.Engine.Serving;

namespace Cluster.Engine.Scheduling;

/// <summary>
/// One request's state in the engine: its tokens (prompt, then output), how many have KV in the cache, its sampler
/// and its output. Touched only by the engine loop.
/// <paramref name="input"/> is what the engine was given (prompt, then any output generated before);
/// <paramref name="outputStart"/> is where the request's output begins in it.
/// </summary>
internal sealed class EngineSequence(
    RequestId id, IReadOnlyList<int> input, int outputStart, string cacheSalt, GenerationParameters parameters, long arrival, int maxPositions, RequestHandle handle)
{
    /// <summary>A new request: <paramref name="prompt"/> with no output yet, unsalted.</summary>
    public EngineSequence(RequestId id, IReadOnlyList<int> prompt, GenerationParameters parameters, long arrival, int maxPositions, RequestHandle handle)
        : this(id, prompt, prompt.Count, "", parameters, arrival, maxPositions, handle)
    {
    }

    public RequestId Id { get; } = id;
    public List<int> Tokens { get; } = [.. input];

    /// <summary>Tokens given at submission (their KV is computed or imported here; tokens after them are this engine's output).</summary>
    public int PromptLength { get; } = input.Count;

    /// <summary>Where the request's output begins in <see cref="Tokens"/>: the prompt proper ends here (≤ <see cref="PromptLength"/>).</summary>
    public int OutputStart { get; } = outputStart;

    /// <summary>The prefix cache's salt (part of every block hash).</summary>
    public string CacheSalt { get; } = cacheSalt;
    public GenerationParameters Parameters { get; } = parameters;
    public long Arrival { get; } = arrival;

    /// <summary>Queue and preemption order against other sequences (normal before low, then by arrival).</summary>
    public EnginePriority Priority { get; init; }
    public int MaxPositions { get; } = maxPositions;
    public RequestHandle Handle { get; } = handle;
    public List<float> LogProbs { get; } = [];
    public Stopwatch Clock { get; } = Stopwatch.StartNew();
    public TimeSpan? FirstTokenAt { get; set; }
    public Sampler? Sampler { get; set; }

    /// <summary>Tokens whose KV is in the cache (a prefix of <see cref="Tokens"/>).</summary>
    public int Computed { get; set; }

    /// <summary>Later arrivals admitted ahead of this sequence while its blocks did not fit (bounded by Engine:AdmissionBypassLimit).</summary>
    public int Bypassed { get; set; }

    /// <summary>The sequence holds blocks in the cache manager.</summary>
    public bool HoldsBlocks { get; set; }

    /// <summary>Tokens still to compute before the next sample.</summary>
    public int Remaining => Tokens.Count - Computed;

    /// <summary>Output tokens of the request so far, those generated before its submission included.</summary>
    public int OutputCount => Tokens.Count - OutputStart;

    /// <summary>Given tokens (<see cref="PromptLength"/>) found in the prefix cache at the first admission, null before it.</summary>
    public int? CachedTokens { get; set; }
}
