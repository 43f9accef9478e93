namespace Cluster.Client;

/// <summary>How to generate. Unset values use the server's defaults.</summary>
public sealed record GenerationOptions
{
    /// <summary>Model id; null uses <see cref="ClusterClientOptions.DefaultModel"/>.</summary>
    public string? Model { get; init; }

    /// <summary>Maximum tokens to generate.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>0 = greedy; up to 2.</summary>
    public float? Temperature { get; init; }

    /// <summary>Nucleus sampling, in (0, 1].</summary>
    public float? TopP { get; init; }

    /// <summary>Keep the k most likely tokens.</summary>
    public int? TopK { get; init; }

    /// <summary>Drop tokens below min_p × the top probability, in [0, 1].</summary>
    public float? MinP { get; init; }

    /// <summary>Seed for reproducible sampling.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Multiplicative penalty on seen tokens (&gt; 0).</summary>
    public float? RepetitionPenalty { get; init; }

    /// <summary>OpenAI presence penalty, in [-2, 2].</summary>
    public float? PresencePenalty { get; init; }

    /// <summary>OpenAI frequency penalty, in [-2, 2].</summary>
    public float? FrequencyPenalty { get; init; }

    /// <summary>Stop strings (not included in the output).</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Token ids that end generation.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Keep generating past end-of-sequence tokens.</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Return the log-probability of each generated token.</summary>
    public bool Logprobs { get; init; }

    /// <summary>Only requests with equal salts share cached prompt prefixes (tenant isolation).</summary>
    public string? CacheSalt { get; init; }

    /// <summary>
    /// Your id for the request (1–256 printable ASCII characters, no spaces), echoed in every chunk; with it
    /// <see cref="ClusterClient.CancelAsync"/> cancels the request from anywhere, also through another router. Null: the
    /// router makes one up. Two running requests may not share one (ALREADY_EXISTS).
    /// </summary>
    public string? RequestId { get; init; }

    /// <summary>This call's deadline from now; null uses <see cref="ClusterClientOptions.DefaultDeadline"/>.</summary>
    public TimeSpan? Timeout { get; init; }
}
