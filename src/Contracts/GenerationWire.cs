using Cluster.Core.Generation;
using Cluster.Contracts.V1;

namespace Cluster.Contracts;

/// <summary>
/// The one conversion between the wire's <see cref="SamplingParams"/> + <see cref="StopConditions"/> and
/// <see cref="GenerationParameters"/>. The wire spells "off" as 0 for top_p and repetition_penalty (proto3's unset
/// value); the record spells it 1. Nothing is validated here: call <see cref="GenerationParameters.Validate"/>.
/// </summary>
public static class GenerationWire
{
    /// <summary>The record for <paramref name="maxTokens"/> output tokens (the caller resolves the wire's 0 = default).</summary>
    public static GenerationParameters ToParameters(SamplingParams? sampling, StopConditions? stop, int maxTokens)
    {
        var s = sampling ?? new SamplingParams();
        return new GenerationParameters
        {
            Temperature = s.Temperature,
            TopK = s.TopK,
            TopP = s.TopP == 0 ? 1 : s.TopP,
            MinP = s.MinP,
            RepetitionPenalty = s.RepetitionPenalty == 0 ? 1 : s.RepetitionPenalty,
            PresencePenalty = s.PresencePenalty,
            FrequencyPenalty = s.FrequencyPenalty,
            Seed = s.HasSeed ? s.Seed : null,
            MaxTokens = maxTokens,
            StopTokenIds = stop is null ? [] : [.. stop.StopTokenIds.Select(TokenId)],
            IgnoreEos = stop?.IgnoreEos ?? false,
        };
    }

    private static int TokenId(uint id) => id <= int.MaxValue
        ? (int)id
        : throw new GenerationParameterException(GenerationField.StopTokenIds, n => $"{n} holds {id}, outside any vocabulary.");
}
