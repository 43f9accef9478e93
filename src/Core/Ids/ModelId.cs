namespace Cluster.Core.Ids;

/// <summary>Identifies a served model (the name clients pass as <c>model</c>).</summary>
public readonly record struct ModelId(string Value)
{
    public override string ToString() => Value;
}
