namespace Cluster.Client;

/// <summary>One piece of a streamed generation; the last one carries <see cref="FinishReason"/> and <see cref="Usage"/>.</summary>
/// <param name="RequestId">The server's id of the request.</param>
/// <param name="Text">Text of the new tokens (empty while a multi-byte character is incomplete).</param>
/// <param name="TokenIds">The new tokens.</param>
/// <param name="Logprobs">Log-probabilities of the new tokens, when asked for.</param>
/// <param name="FinishReason">Set on the last chunk only.</param>
/// <param name="Usage">Set on the last chunk only.</param>
public sealed record GenerationChunk(
    string RequestId,
    string Text,
    IReadOnlyList<int> TokenIds,
    IReadOnlyList<TokenLogprob> Logprobs,
    FinishReason? FinishReason,
    TokenUsage? Usage);
