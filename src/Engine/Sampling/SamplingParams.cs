namespace Cluster.Engine.Sampling;

/// <summary>
/// How to pick each next token. Temperature 0 is greedy. Penalties: repetition (Hugging Face/CTRL style, over
/// prompt and output tokens), presence and frequency (OpenAI style, over output tokens).
/// </summary>
public sealed record SamplingParams
{
    public double Temperature { get; init; }
    /// <summary>Keep the k most likely tokens; 0 = all.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of tokens whose probability reaches p; 1 = all.</summary>
    public double TopP { get; init; } = 1;
    /// <summary>Drop tokens less likely than min_p × the most likely one; 0 = none.</summary>
    public double MinP { get; init; }
    public double RepetitionPenalty { get; init; } = 1;
    public double PresencePenalty { get; init; }
    public double FrequencyPenalty { get; init; }
    public ulong? Seed { get; init; }
    public int MaxTokens { get; init; } = 16;
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
    /// <summary>Keep generating past the model's end-of-sequence ids.</summary>
    public bool IgnoreEos { get; init; }

    public bool IsGreedy => Temperature == 0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first out-of-range value.</summary>
    public void Validate()
    {
        if (Temperature < 0 || double.IsNaN(Temperature)) throw new ArgumentException($"temperature must be >= 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top_k must be >= 0, got {TopK}");
        if (TopP is <= 0 or > 1 || double.IsNaN(TopP)) throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
        if (MinP is < 0 or > 1 || double.IsNaN(MinP)) throw new ArgumentException($"min_p must be in [0, 1], got {MinP}");
        if (RepetitionPenalty <= 0 || double.IsNaN(RepetitionPenalty)) throw new ArgumentException($"repetition_penalty must be > 0, got {RepetitionPenalty}");
        if (MaxTokens < 1) throw new ArgumentException($"max_tokens must be >= 1, got {MaxTokens}");
    }
}
