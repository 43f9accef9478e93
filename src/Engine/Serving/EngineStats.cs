namespace Cluster.Engine.Serving;

/// <summary>Counters of one engine (a snapshot).</summary>
/// <param name="Steps">Forward passes run.</param>
/// <param name="ComputedTokens">Tokens run through the model (prompt chunks, recomputation and decodes).</param>
/// <param name="CachedPromptTokens">Prompt tokens whose KV came from the prefix cache instead.</param>
/// <param name="Preemptions">Sequences preempted (to be recomputed).</param>
/// <param name="UsedBlocks">Blocks referenced by sequences, reservations or kept exports.</param>
/// <param name="TotalBlocks">Blocks in the cache.</param>
/// <param name="PeakUsedBlocks">The most blocks referenced at the end of any step.</param>
/// <param name="GeneratedTokens">Tokens sampled (first tokens of prefills and every decode step).</param>
public sealed record EngineStats(long Steps, long ComputedTokens, long CachedPromptTokens, long Preemptions, int UsedBlocks, int TotalBlocks, int PeakUsedBlocks, long GeneratedTokens);
