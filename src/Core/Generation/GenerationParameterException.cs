namespace Cluster.Core.Generation;

/// <summary>
/// A generation parameter out of range. <see cref="Describe"/> words the error with the field's name as the caller's
/// API spells it ("top_p" on OpenAI, "sampling.top_p" on gRPC); <see cref="Exception.Message"/> uses the wire path.
/// </summary>
public sealed class GenerationParameterException : ArgumentException
{
    private readonly Func<string, string> _describe;

    public GenerationParameterException(GenerationField field, Func<string, string> describe)
        : base(describe(GenerationFieldNames.Wire(field)))
    {
        Field = field;
        _describe = describe;
    }

    /// <summary>The field out of range.</summary>
    public GenerationField Field { get; }

    /// <summary>The message, naming the field <paramref name="fieldName"/>.</summary>
    public string Describe(string fieldName) => _describe(fieldName);
}
