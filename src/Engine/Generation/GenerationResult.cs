namespace Cluster.Engine.Generation;

/// <summary>Why generation stopped.</summary>
public enum FinishReason
{
    /// <summary>Reached max tokens or the model's maximum length.</summary>
    Length,
    /// <summary>Produced a stop id or end-of-sequence id.</summary>
    Stop,
}

/// <summary>The generated tokens (the stop token included), their log-probabilities and timings.</summary>
public sealed record GenerationResult(
    IReadOnlyList<int> Tokens,
    IReadOnlyList<float> LogProbs,
    FinishReason FinishReason,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime);
