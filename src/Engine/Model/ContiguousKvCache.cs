using Cluster.Torch;

namespace Cluster.Engine.Model;

/// <summary>
/// A simple contiguous KV cache: for each layer, K and V of shape [batch·maxLength, Hkv, D], where sequence b
/// owns token slots b·maxLength … b·maxLength + maxLength − 1 (the paged cache replaces the slot mapping).
/// </summary>
public sealed class ContiguousKvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;

    public ContiguousKvCache(ModelConfig config, int batch, int maxLength, ScalarType dtype, Device device)
    {
        Batch = batch;
        MaxLength = maxLength;
        _keys = new Tensor[config.NumLayers];
        _values = new Tensor[config.NumLayers];
        for (var i = 0; i < config.NumLayers; i++)
        {
            _keys[i] = torch.zeros([(long)batch * maxLength, config.NumKvHeads, config.HeadDim], dtype, device);
            _values[i] = torch.zeros([(long)batch * maxLength, config.NumKvHeads, config.HeadDim], dtype, device);
        }
        RowOffsets = torch.arange(0, (double)batch * maxLength, maxLength, torch.int64, device).view(batch, 1);  // [B, 1]
        KeyPositions = torch.arange(0, maxLength, 1, torch.int64, device);                                      // [L]
    }

    public int Batch { get; }

    public int MaxLength { get; }

    /// <summary>[B, 1]: the first slot of each sequence.</summary>
    internal Tensor RowOffsets { get; }

    /// <summary>[L]: 0 … maxLength − 1.</summary>
    internal Tensor KeyPositions { get; }

    /// <summary>Writes k/v [B·T, Hkv, D] of <paramref name="layer"/> into the slots [B·T].</summary>
    public void Write(int layer, Tensor slots, Tensor k, Tensor v)
    {
        _keys[layer].index_copy_(0, slots, k);
        _values[layer].index_copy_(0, slots, v);
    }

    /// <summary>Keys of every sequence, [B, Hkv, L, D] (a strided view).</summary>
    public Tensor Keys(int layer) => SequenceView(_keys[layer]);

    /// <summary>Values of every sequence, [B, Hkv, L, D] (a strided view).</summary>
    public Tensor Values(int layer) => SequenceView(_values[layer]);

    private Tensor SequenceView(Tensor cache)
    {
        using var rows = cache.view(Batch, MaxLength, cache.size(1), cache.size(2));   // [B, L, Hkv, D]
        return rows.transpose(1, 2);                                                   // [B, Hkv, L, D]
    }

    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
        RowOffsets.Dispose();
        KeyPositions.Dispose();
    }
}
