using Cluster.Core.Generation;

namespace Cluster.Router.Api.Text;

/// <summary>How each API spells the request fields, so a validation error names the field the client actually sent.</summary>
public sealed record RequestFieldNames(
    string Model,
    string Prompt,
    string Messages,
    string MaxTokens,
    string Temperature,
    string TopP,
    string TopK,
    string MinP,
    string RepetitionPenalty,
    string PresencePenalty,
    string FrequencyPenalty,
    string Stop,
    string StopTokenIds,
    string RequestId)
{
    /// <summary>This API's name of a generation parameter.</summary>
    public string For(GenerationField field) => field switch
    {
        GenerationField.Temperature => Temperature,
        GenerationField.TopK => TopK,
        GenerationField.TopP => TopP,
        GenerationField.MinP => MinP,
        GenerationField.RepetitionPenalty => RepetitionPenalty,
        GenerationField.PresencePenalty => PresencePenalty,
        GenerationField.FrequencyPenalty => FrequencyPenalty,
        GenerationField.MaxTokens => MaxTokens,
        GenerationField.StopTokenIds => StopTokenIds,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };

    /// <summary>Field paths of <c>cluster.v1.GenerateRequest</c>.</summary>
    public static RequestFieldNames Grpc { get; } = new(
        "model", "prompt", "chat.messages", "stop.max_tokens", "sampling.temperature", "sampling.top_p", "sampling.top_k",
        "sampling.min_p", "sampling.repetition_penalty", "sampling.presence_penalty", "sampling.frequency_penalty",
        "stop.stop", "stop.stop_token_ids", "request_id");

    /// <summary>Parameter names of the OpenAI HTTP API.</summary>
    public static RequestFieldNames OpenAi { get; } = new(
        "model", "prompt", "messages", "max_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty",
        "presence_penalty", "frequency_penalty", "stop", "stop_token_ids", "request_id");
}
