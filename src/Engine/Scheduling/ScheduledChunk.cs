namespace Cluster.Engine.Scheduling;

/// <summary>Tokens [Start, Start + Count) of a sequence to compute in this step.</summary>
internal sealed record ScheduledChunk(EngineSequence Sequence, int Start, int Count)
{
    /// <summary>The chunk reaches the sequence's last token, so its logits give the next token.</summary>
    public bool Samples => Start + Count == Sequence.Tokens.Count;
}
