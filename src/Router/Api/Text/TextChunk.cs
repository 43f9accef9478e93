using Cluster.Contracts.V1;

namespace Cluster.Router.Api.Text;

/// <summary>One piece of a generation as both APIs send it.</summary>
/// <param name="Text">New text (may be empty: a character still incomplete, or text held back by a stop-string prefix).</param>
/// <param name="TokenIds">The tokens this chunk consumed.</param>
/// <param name="Logprobs">Parallel to <paramref name="TokenIds"/> when logprobs were asked for, else empty.</param>
/// <param name="FinishReason">Set on the last chunk only.</param>
/// <param name="Usage">Set on the last chunk only.</param>
public sealed record TextChunk(
    string Text,
    IReadOnlyList<int> TokenIds,
    IReadOnlyList<float> Logprobs,
    FinishReason FinishReason = FinishReason.Unspecified,
    GenerationUsage? Usage = null)
{
    public bool IsLast => FinishReason != FinishReason.Unspecified;
}

/// <summary>Token counts of a finished request.</summary>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens, int CachedPromptTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
