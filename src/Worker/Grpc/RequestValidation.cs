using Cluster.Rpc;
using Google.Protobuf.Collections;
using EngineSampling = Cluster.Engine.Sampling.SamplingParams;
using WireSampling = Cluster.Contracts.V1.SamplingParams;

namespace Cluster.Worker.Grpc;

/// <summary>Checks request fields and maps wire sampling to the engine's; every refusal is INVALID_ARGUMENT naming the field.</summary>
internal static class RequestValidation
{
    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public static void RequireId(string requestId)
    {
        if (string.IsNullOrWhiteSpace(requestId)) throw Invalid("request_id is empty: every request needs a unique id.");
    }

    /// <summary>The token ids as ints; refuses ids outside the vocabulary (and an empty list when <paramref name="required"/>).</summary>
    public static int[] Tokens(RepeatedField<uint> tokens, string field, int vocabSize, bool required)
    {
        if (required && tokens.Count == 0) throw Invalid($"{field} is empty: send at least one token id.");
        var result = new int[tokens.Count];
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] >= vocabSize)
            {
                throw Invalid($"{field}[{i}] = {tokens[i]} is outside the model's vocabulary (0 … {vocabSize - 1}).");
            }

            result[i] = (int)tokens[i];
        }

        return result;
    }

    /// <summary>The engine's sampling parameters for <paramref name="maxTokens"/> output tokens.</summary>
    public static EngineSampling Sampling(WireSampling? s, Contracts.V1.StopConditions? stop, int maxTokens, int vocabSize)
    {
        s ??= new WireSampling();
        Range("sampling.temperature", s.Temperature, 0, 2);
        if (float.IsNaN(s.TopP) || s.TopP < 0 || s.TopP > 1) throw Invalid($"sampling.top_p must be in (0, 1], or 0 for off (got {s.TopP}).");
        Range("sampling.min_p", s.MinP, 0, 1);
        if (s.RepetitionPenalty != 0 && !(s.RepetitionPenalty > 0)) throw Invalid($"sampling.repetition_penalty must be > 0 when set (got {s.RepetitionPenalty}).");
        Range("sampling.presence_penalty", s.PresencePenalty, -2, 2);
        Range("sampling.frequency_penalty", s.FrequencyPenalty, -2, 2);
        if (s.TopK > int.MaxValue) throw Invalid($"sampling.top_k is too large (got {s.TopK}).");
        var stopIds = stop?.StopTokenIds ?? [];
        foreach (var id in stopIds)
        {
            if (id >= vocabSize) throw Invalid($"stop.stop_token_ids holds {id}, outside the model's vocabulary (0 … {vocabSize - 1}).");
        }

        return new EngineSampling
        {
            Temperature = s.Temperature,
            TopP = s.TopP == 0 ? 1 : s.TopP,
            TopK = (int)s.TopK,
            MinP = s.MinP,
            Seed = s.HasSeed ? s.Seed : null,
            RepetitionPenalty = s.RepetitionPenalty == 0 ? 1 : s.RepetitionPenalty,
            PresencePenalty = s.PresencePenalty,
            FrequencyPenalty = s.FrequencyPenalty,
            MaxTokens = maxTokens,
            StopTokenIds = [.. stopIds.Select(t => (int)t)],
            IgnoreEos = stop?.IgnoreEos ?? false,
        };
    }

    private static void Range(string field, float value, float min, float max)
    {
        if (float.IsNaN(value) || value < min || value > max) throw Invalid($"{field} must be in [{min}, {max}] (got {value}).");
    }
}
