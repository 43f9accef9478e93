namespace Cluster.Client;

/// <summary>Token counts of one request.</summary>
/// <param name="PromptTokens">Tokens of the prompt.</param>
/// <param name="CompletionTokens">Tokens generated.</param>
/// <param name="CachedPromptTokens">Prompt tokens served from a prefix cache instead of being computed.</param>
public sealed record TokenUsage(int PromptTokens, int CompletionTokens, int CachedPromptTokens)
{
    /// <summary>Prompt and generated tokens together.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;
}
