namespace Cluster.Client;

/// <summary>A whole generation.</summary>
public sealed record Completion(
    string RequestId,
    string Text,
    IReadOnlyList<int> TokenIds,
    IReadOnlyList<TokenLogprob> Logprobs,
    FinishReason FinishReason,
    TokenUsage Usage);
