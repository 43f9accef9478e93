namespace Cluster.Core.Generation;

/// <summary>
/// The one home of every generation default (docs/ARCHITECTURE.md, "Generation parameters"). Options that let an
/// operator change one (Router:CompletionMaxTokens, Router:ChatMaxTokensCap) start from these values.
/// </summary>
public static class GenerationDefaults
{
    /// <summary><c>max_tokens</c> of a completion (text or token ids) that leaves it out: OpenAI's default.</summary>
    public const int CompletionMaxTokens = 16;

    /// <summary>A chat request that leaves <c>max_tokens</c> out gets the context's remainder, at most this.</summary>
    public const int ChatMaxTokensCap = 4096;

    /// <summary>Temperature of an OpenAI request that leaves it out (OpenAI's default). gRPC's unset value is 0, greedy.</summary>
    public const double OpenAiTemperature = 1.0;
}
