using Microsoft.Extensions.Options;

namespace Cluster.Worker;

/// <summary>Start-up validation for option types that list their own errors (<c>EngineOptions</c>, <c>KvCacheOptions</c>).</summary>
internal sealed class ListOptionsValidator<T>(Func<T, IReadOnlyList<string>> validate) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var errors = validate(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
