using Cluster.Torch;

namespace Cluster.Engine.Model;

/// <summary>A chunk of ≥ 2 tokens at packed rows [Offset, +Count): fresh (KeySlots null: causal over itself) or over its past.</summary>
/// <param name="Offset">First packed row.</param>
/// <param name="Count">T: tokens of the chunk.</param>
/// <param name="KeySlots">[L]: cache slots of positions 0 … L − 1.</param>
/// <param name="Mask">[1, 1, T, L] bool: key visible to query.</param>
public sealed record PagedPrefill(int Offset, int Count, Tensor? KeySlots, Tensor? Mask);
