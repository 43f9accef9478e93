namespace Cluster.Engine.Model;

/// <summary>
/// One sequence's part of a packed forward pass: <paramref name="Tokens"/> at positions
/// <paramref name="Start"/> … Start + Count − 1, attending over every earlier position of the sequence.
/// <paramref name="BlockTable"/>: the sequence's physical KV blocks, covering position Start + Count − 1.
/// </summary>
public sealed record PagedChunk(IReadOnlyList<int> Tokens, int Start, IReadOnlyList<int> BlockTable)
{
    /// <summary>Positions after this chunk (the keys its last token attends over).</summary>
    public int End => Start + Tokens.Count;
}
