using Cluster.Contracts;
using Cluster.Contracts.V1;
using Cluster.Core.Generation;

namespace Cluster.Router.Api.Text;

/// <summary>
/// Checks a request's sampling and stop values with the one validator the workers also run
/// (<see cref="GenerationParameters.Validate"/>), so no request valid here is refused by a worker; the error names the
/// field as the client's API spells it.
/// </summary>
internal static class SamplingValidator
{
    public static SamplingParams Validate(SamplingParams? sampling, StopConditions stop, int maxTokens, int vocabularySize, RequestFieldNames names)
    {
        var s = sampling?.Clone() ?? new SamplingParams();
        try
        {
            GenerationWire.ToParameters(s, stop, maxTokens).Validate(vocabularySize);
        }
        catch (GenerationParameterException e)
        {
            var name = names.For(e.Field);
            throw ApiException.Invalid(name, e.Describe(name));
        }

        return s;
    }
}
