namespace Cluster.Core.Generation;

/// <summary>The gRPC wire path of each <see cref="GenerationField"/> (proto/cluster/v1/common.proto).</summary>
public static class GenerationFieldNames
{
    public static string Wire(GenerationField field) => field switch
    {
        GenerationField.Temperature => "sampling.temperature",
        GenerationField.TopK => "sampling.top_k",
        GenerationField.TopP => "sampling.top_p",
        GenerationField.MinP => "sampling.min_p",
        GenerationField.RepetitionPenalty => "sampling.repetition_penalty",
        GenerationField.PresencePenalty => "sampling.presence_penalty",
        GenerationField.FrequencyPenalty => "sampling.frequency_penalty",
        GenerationField.MaxTokens => "stop.max_tokens",
        GenerationField.StopTokenIds => "stop.stop_token_ids",
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };
}
