using Grpc.Core;
using Google.Protobuf.Collections;
using Cluster.Contracts;
using Cluster.Core.Generation;
using Cluster.Engine.Scheduling;
using WireSampling = Cluster.Contracts.V1.SamplingParams;

namespace Cluster.Worker.Grpc;

/// <summary>Checks request fields and maps wire sampling to the generation parameters; every refusal is INVALID_ARGUMENT naming the field.</summary>
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

    /// <summary>The engine priority of a wire <c>priority</c>; a value this worker does not know is INVALID_ARGUMENT naming the field.</summary>
    public static EnginePriority Priority(Contracts.V1.RequestPriority priority) => priority switch
    {
        Contracts.V1.RequestPriority.Normal => EnginePriority.Normal,
        Contracts.V1.RequestPriority.Low => EnginePriority.Low,
        _ => throw Invalid($"priority = {(int)priority} is unknown: use REQUEST_PRIORITY_NORMAL (0) or REQUEST_PRIORITY_LOW (1)."),
    };

    /// <summary>
    /// The request's generation parameters for <paramref name="maxTokens"/> output tokens, validated by the one validator
    /// (<see cref="GenerationParameters.Validate"/>); a value out of range is INVALID_ARGUMENT naming its wire path.
    /// </summary>
    public static GenerationParameters Sampling(WireSampling? s, Contracts.V1.StopConditions? stop, int maxTokens, int vocabSize)
    {
        try
        {
            var parameters = GenerationWire.ToParameters(s, stop, maxTokens);
            parameters.Validate(vocabSize);
            return parameters;
        }
        catch (GenerationParameterException e)
        {
            throw Invalid(e.Message);
        }
    }
}
