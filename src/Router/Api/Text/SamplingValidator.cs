using Cluster.Contracts.V1;

namespace Cluster.Router.Api.Text;

/// <summary>
/// Checks sampling values against the ranges documented in common.proto, covering everything the worker checks
/// (src/Worker/Grpc/RequestValidation.cs) so that no request valid here is refused by a worker.
/// </summary>
internal static class SamplingValidator
{
    public static SamplingParams Validate(SamplingParams? sampling, RequestFieldNames names)
    {
        var s = sampling?.Clone() ?? new SamplingParams();
        Range(s.Temperature, 0, 2, names.Temperature, "0 is greedy");
        Range(s.TopP, 0, 1, names.TopP, "0 or 1 turns it off");
        Range(s.MinP, 0, 1, names.MinP, "0 turns it off");
        Range(s.PresencePenalty, -2, 2, names.PresencePenalty, "0 turns it off");
        Range(s.FrequencyPenalty, -2, 2, names.FrequencyPenalty, "0 turns it off");
        if (!(s.RepetitionPenalty >= 0) || float.IsInfinity(s.RepetitionPenalty))
        {
            throw ApiException.Invalid(names.RepetitionPenalty,
                $"{names.RepetitionPenalty} must be a finite number > 0 (0 or 1 turns it off); got {s.RepetitionPenalty}.");
        }

        if (s.TopK > int.MaxValue)
        {
            throw ApiException.Invalid(names.TopK, $"{names.TopK} must be at most {int.MaxValue} (0 turns it off); got {s.TopK}.");
        }

        return s;
    }

    private static void Range(float value, float min, float max, string name, string hint)
    {
        if (!(value >= min && value <= max))
        {
            throw ApiException.Invalid(name, $"{name} must be in [{min}, {max}] ({hint}); got {value}.");
        }
    }
}
