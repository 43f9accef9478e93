namespace Cluster.Core.Generation;

/// <summary>A field of <see cref="GenerationParameters"/>; each API names it its own way in error messages.</summary>
public enum GenerationField
{
    Temperature,
    TopK,
    TopP,
    MinP,
    RepetitionPenalty,
    PresencePenalty,
    FrequencyPenalty,
    MaxTokens,
    StopTokenIds,
}
