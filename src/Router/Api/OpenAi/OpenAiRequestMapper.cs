using Cluster.Core.Generation;
using System.Text.Json;
using Cluster.Contracts.V1;

namespace Cluster.Router.Api.OpenAi;

/// <summary>What the OpenAI handlers need beyond the <see cref="GenerateRequest"/>.</summary>
internal sealed record OpenAiCallShape(bool Stream, bool IncludeUsage, bool Logprobs);

/// <summary>
/// Maps an OpenAI body onto <c>cluster.v1.GenerateRequest</c> (the shared front end then validates values), checking
/// here what only OpenAI has: unsupported parameters (<see cref="OpenAiUnsupported"/>), JSON shapes of prompt/stop/content,
/// n, best_of, echo, logprobs (only the sampled token's: completions <c>logprobs: 0</c>), token limits, seed sign.
/// </summary>
internal static class OpenAiRequestMapper
{
    public static (GenerateRequest Request, OpenAiCallShape Shape) Map(OpenAiRequestBody body, bool chat, string? headerRequestId)
    {
        OpenAiUnsupported.Check(body);
        if (body.N is { } n && n != 1)
        {
            throw ApiException.Invalid("n", $"n = {n} is not supported: this server returns one choice per request (n = 1).");
        }

        if (body.BestOf is { } bestOf && bestOf != 1)
        {
            throw ApiException.Invalid("best_of", $"best_of = {bestOf} is not supported (only 1).");
        }

        if (body.Echo == true || !string.IsNullOrEmpty(body.Suffix))
        {
            throw ApiException.Invalid(body.Echo == true ? "echo" : "suffix", "echo and suffix are not supported.");
        }

        var request = new GenerateRequest
        {
            Model = body.Model ?? "",
            Sampling = Sampling(body),
            Stop = Stop(body),
            RequestId = body.RequestId ?? headerRequestId ?? "",
            CacheSalt = body.CacheSalt ?? "",
        };
        if (chat)
        {
            if (body.Prompt is not null)
            {
                throw ApiException.Invalid("prompt", "chat completions take 'messages', not 'prompt'.");
            }

            request.Chat = OpenAiPrompts.Chat(body.Messages);
        }
        else
        {
            if (body.Messages is not null)
            {
                throw ApiException.Invalid("messages", "completions take 'prompt'; use /v1/chat/completions for 'messages'.");
            }

            OpenAiPrompts.SetPrompt(request, body.Prompt);
        }

        request.Logprobs = Logprobs(body, chat);
        var shape = new OpenAiCallShape(body.Stream == true, body.StreamOptions?.IncludeUsage == true, request.Logprobs);
        if (body.StreamOptions is not null && !shape.Stream)
        {
            throw ApiException.Invalid("stream_options", "stream_options is only allowed with stream: true.");
        }

        return (request, shape);
    }

    private static SamplingParams Sampling(OpenAiRequestBody body)
    {
        if (body.TopK is < 0 and not -1)
        {
            throw ApiException.Invalid("top_k", $"top_k must be ≥ 0 (0 or -1 turns it off); got {body.TopK}.");
        }

        var sampling = new SamplingParams
        {
            Temperature = (float)(body.Temperature ?? GenerationDefaults.OpenAiTemperature),
            TopP = (float)(body.TopP ?? 1.0),
            TopK = body.TopK is > 0 and var k ? (uint)k : 0,
            MinP = (float)(body.MinP ?? 0),
            RepetitionPenalty = (float)(body.RepetitionPenalty ?? 0),
            PresencePenalty = (float)(body.PresencePenalty ?? 0),
            FrequencyPenalty = (float)(body.FrequencyPenalty ?? 0),
        };
        if (body.Seed is { } seed)
        {
            sampling.Seed = seed >= 0 ? (ulong)seed : throw ApiException.Invalid("seed", $"seed must be ≥ 0; got {seed}.");
        }

        return sampling;
    }

    private static StopConditions Stop(OpenAiRequestBody body)
    {
        var stop = new StopConditions { IgnoreEos = body.IgnoreEos == true };
        var (name, max) = body.MaxCompletionTokens is { } m ? ("max_completion_tokens", (int?)m) : ("max_tokens", body.MaxTokens);
        if (max is { } value)
        {
            stop.MaxTokens = value >= 1 ? (uint)value : throw ApiException.Invalid(name, $"{name} must be ≥ 1; got {value}.");
        }

        foreach (var id in body.StopTokenIds ?? [])
        {
            stop.StopTokenIds.Add(id >= 0 ? (uint)id : throw ApiException.Invalid("stop_token_ids", $"stop_token_ids holds {id}; token ids are ≥ 0."));
        }

        switch (body.Stop)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                break;
            case { ValueKind: JsonValueKind.String } s:
                stop.Stop.Add(s.GetString()!);
                break;
            case { ValueKind: JsonValueKind.Array } a when a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                stop.Stop.AddRange(a.EnumerateArray().Select(e => e.GetString()!));
                break;
            default:
                throw ApiException.Invalid("stop", "stop must be a string or an array of strings.");
        }

        return stop;
    }

    private static bool Logprobs(OpenAiRequestBody body, bool chat)
    {
        if (body.TopLogprobs is { } top && top != 0)
        {
            throw ApiException.Invalid("top_logprobs",
                $"top_logprobs = {top} is not supported: only the sampled token's logprob is available (no top alternatives); send 0 or leave it out.");
        }

        var value = body.Logprobs;
        if (value is null || value.Value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (chat)
        {
            if (value.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw ApiException.Invalid("logprobs", "logprobs must be true or false for chat completions.");
            }

            return value.Value.GetBoolean();
        }

        if (value.Value.ValueKind != JsonValueKind.Number || !value.Value.TryGetInt32(out var count) || count < 0)
        {
            throw ApiException.Invalid("logprobs", "logprobs must be an integer ≥ 0 for completions.");
        }

        if (count > 0)
        {
            throw ApiException.Invalid("logprobs",
                $"logprobs = {count} is not supported: only the sampled token's logprob is available (no top alternatives); send logprobs: 0.");
        }

        return true;
    }
}
