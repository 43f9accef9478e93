using Cluster.Contracts.V1;

namespace Cluster.Client;

/// <summary>Turns SDK types into wire messages and back.</summary>
internal static class ProtoMapping
{
    public static GenerateRequest Request(GenerationOptions options, string? defaultModel)
    {
        var request = new GenerateRequest
        {
            Model = options.Model ?? defaultModel ?? string.Empty,
            Logprobs = options.Logprobs,
            CacheSalt = options.CacheSalt ?? string.Empty,
            RequestId = options.RequestId ?? string.Empty,
            Sampling = new SamplingParams
            {
                Temperature = options.Temperature ?? 0,
                TopP = options.TopP ?? 0,
                TopK = (uint)Math.Max(0, options.TopK ?? 0),
                MinP = options.MinP ?? 0,
                RepetitionPenalty = options.RepetitionPenalty ?? 0,
                PresencePenalty = options.PresencePenalty ?? 0,
                FrequencyPenalty = options.FrequencyPenalty ?? 0,
            },
            Stop = new StopConditions
            {
                MaxTokens = (uint)Math.Max(0, options.MaxTokens ?? 0),
                IgnoreEos = options.IgnoreEos,
            },
        };
        if (options.Seed is { } seed)
        {
            request.Sampling.Seed = seed;
        }

        request.Stop.Stop.AddRange(options.Stop);
        request.Stop.StopTokenIds.AddRange(options.StopTokenIds.Select(id => (uint)id));
        return request;
    }

    public static GenerationChunk Chunk(GenerateResponse response) => new(
        response.RequestId,
        response.Text,
        response.TokenIds.Select(id => (int)id).ToArray(),
        Logprobs(response.Logprobs),
        Finish(response.FinishReason),
        response.Usage is null ? null : Usage(response.Usage));

    public static Completion Completion(CompleteResponse response) => new(
        response.RequestId,
        response.Text,
        response.TokenIds.Select(id => (int)id).ToArray(),
        Logprobs(response.Logprobs),
        Finish(response.FinishReason) ?? FinishReason.Stop,
        Usage(response.Usage ?? new Contracts.V1.Usage()));

    private static TokenLogprob[] Logprobs(IEnumerable<Contracts.V1.TokenLogprob> logprobs) =>
        logprobs.Select(l => new TokenLogprob((int)l.TokenId, l.Logprob)).ToArray();

    private static TokenUsage Usage(Contracts.V1.Usage usage) =>
        new((int)usage.PromptTokens, (int)usage.CompletionTokens, (int)usage.CachedPromptTokens);

    private static FinishReason? Finish(Contracts.V1.FinishReason reason) => reason switch
    {
        Contracts.V1.FinishReason.Stop => FinishReason.Stop,
        Contracts.V1.FinishReason.Length => FinishReason.Length,
        Contracts.V1.FinishReason.Cancelled => FinishReason.Cancelled,
        _ => null,
    };
}
