namespace Cluster.Tokenization.Templates;

/// <summary>1-based line and column in the template source.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}
