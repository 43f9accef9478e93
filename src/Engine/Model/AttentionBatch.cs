using Cluster.Torch;

namespace Cluster.Engine.Model;

/// <summary>
/// Where a forward pass reads and writes the KV cache: the slots its new tokens go to, and which cached keys
/// each query may see. Built from positions with device ops only, so it can be captured in a CUDA graph.
/// </summary>
public sealed class AttentionBatch : IDisposable
{
    private AttentionBatch(Tensor slots, Tensor? mask)
    {
        Slots = slots;
        Mask = mask;
    }

    /// <summary>[B·T]: cache slot of each new token.</summary>
    public Tensor Slots { get; }

    /// <summary>
    /// [B, 1, T, L] bool (true = attend) over the whole cache; null for a prefill that starts at position 0,
    /// which attends causally over its own keys only (the flash path).
    /// </summary>
    public Tensor? Mask { get; }

    public bool FreshPrefill => Mask is null;

    /// <summary>For <paramref name="positions"/> [B, T]; <paramref name="fresh"/> when every sequence starts at 0.</summary>
    public static AttentionBatch Create(ContiguousKvCache cache, Tensor positions, bool fresh)
    {
        var b = positions.size(0);
        var t = positions.size(1);
        using var rows = cache.RowOffsets.narrow(0, 0, b);                   // [B, 1]
        using var absolute = rows + positions;                              // [B, T]
        var slots = absolute.view(b * t);                                   // [B·T]
        if (fresh) return new AttentionBatch(slots, null);
        using var keys = cache.KeyPositions.view(1, 1, cache.MaxLength);    // [1, 1, L]
        using var queries = positions.unsqueeze(-1);                        // [B, T, 1]
        using var visible = keys.le(queries);                               // [B, T, L]
        return new AttentionBatch(slots, visible.unsqueeze(1));             // [B, 1, T, L]
    }

    public void Dispose()
    {
        Slots.Dispose();
        Mask?.Dispose();
    }
}
