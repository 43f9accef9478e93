using System.Globalization;

namespace Cluster.Core.Generation;

/// <summary>
/// How one request generates: sampling, limits and stop conditions, in one record with one validator
/// (<see cref="Validate"/>). Every API converts to it at its edge (the OpenAI mapper and the router's gRPC mapping
/// through the wire mapping, the worker handlers) and the engine runs it as is. "Off" has one spelling here:
/// <see cref="TopP"/> 1, <see cref="RepetitionPenalty"/> 1, <see cref="TopK"/> 0, <see cref="MinP"/> 0 and the
/// additive penalties 0 (the wire's 0-means-off for top_p and repetition_penalty is converted at the edge).
/// </summary>
public sealed record GenerationParameters
{
    /// <summary>0 = greedy (always the most likely token); at most 2.</summary>
    public double Temperature { get; init; }

    /// <summary>Keep the k most likely tokens; 0 = all.</summary>
    public long TopK { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability reaches p; 1 = all.</summary>
    public double TopP { get; init; } = 1;

    /// <summary>Drop tokens less likely than min_p × the most likely one; 0 = none.</summary>
    public double MinP { get; init; }

    /// <summary>Multiplicative penalty on tokens already seen in prompt and output (Hugging Face/CTRL style); 1 = off.</summary>
    public double RepetitionPenalty { get; init; } = 1;

    /// <summary>Additive penalty on tokens present in the output (OpenAI style); 0 = off.</summary>
    public double PresencePenalty { get; init; }

    /// <summary>Additive penalty per occurrence in the output (OpenAI style); 0 = off.</summary>
    public double FrequencyPenalty { get; init; }

    /// <summary>Seed of a reproducible draw; null = random.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Output tokens of the whole request (a resumed request's earlier tokens count).</summary>
    public int MaxTokens { get; init; } = GenerationDefaults.CompletionMaxTokens;

    /// <summary>Token ids that end generation, besides the model's end-of-sequence ids.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Keep generating past the model's end-of-sequence ids.</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Temperature 0: the draw is the most likely token.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>
    /// Throws <see cref="GenerationParameterException"/> for the first value out of range. With
    /// <paramref name="vocabularySize"/>, stop token ids must also be inside the vocabulary.
    /// </summary>
    public void Validate(int? vocabularySize = null)
    {
        Range(GenerationField.Temperature, Temperature, 0, 2, "0 is greedy");
        if (TopK is < 0 or > int.MaxValue)
        {
            throw new GenerationParameterException(GenerationField.TopK, n => $"{n} must be in [0, {int.MaxValue}] (0 turns it off); got {Show(TopK)}.");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            throw new GenerationParameterException(GenerationField.TopP, n => $"{n} must be in (0, 1] (1 or unset turns it off); got {Show(TopP)}.");
        }

        Range(GenerationField.MinP, MinP, 0, 1, "0 turns it off");
        if (!(RepetitionPenalty > 0) || double.IsInfinity(RepetitionPenalty))
        {
            throw new GenerationParameterException(GenerationField.RepetitionPenalty,
                n => $"{n} must be a finite number > 0 (1 turns it off); got {Show(RepetitionPenalty)}.");
        }

        Range(GenerationField.PresencePenalty, PresencePenalty, -2, 2, "0 turns it off");
        Range(GenerationField.FrequencyPenalty, FrequencyPenalty, -2, 2, "0 turns it off");
        if (MaxTokens < 1)
        {
            throw new GenerationParameterException(GenerationField.MaxTokens, n => $"{n} must be ≥ 1; got {MaxTokens}.");
        }

        for (var i = 0; i < StopTokenIds.Count; i++)
        {
            var id = StopTokenIds[i];
            if (id < 0 || id >= vocabularySize)
            {
                var where = vocabularySize is { } v ? $"outside the model's vocabulary (0 … {v - 1})" : "negative";
                var index = i;
                throw new GenerationParameterException(GenerationField.StopTokenIds, n => $"{n}[{index}] = {id} is {where}.");
            }
        }
    }

    private static void Range(GenerationField field, double value, double min, double max, string hint)
    {
        if (!(value >= min && value <= max))
        {
            throw new GenerationParameterException(field, n => $"{n} must be in [{Show(min)}, {Show(max)}] ({hint}); got {Show(value)}.");
        }
    }

    private static string Show(double value) => ((float)value).ToString(CultureInfo.InvariantCulture);
}
