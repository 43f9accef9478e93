using Cluster.Contracts.V1;
using Cluster.Core.Kv;

namespace Cluster.KvTransfer;

/// <summary>Converts between the wire <see cref="KvLayout"/> and <see cref="KvCacheLayout"/>.</summary>
public static class KvLayoutMapping
{
    public static KvLayout ToProto(this KvCacheLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return new KvLayout
        {
            NumLayers = (uint)layout.Layers,
            NumKvHeads = (uint)layout.KvHeads,
            HeadDim = (uint)layout.HeadDim,
            Dtype = (KvDtype)(int)layout.DataType,
            BlockSize = (uint)layout.BlockSize,
        };
    }

    /// <summary>The layout, or null with a message naming the bad field.</summary>
    public static KvCacheLayout? FromProto(KvLayout? layout, out string? error)
    {
        if (layout is null)
        {
            error = "the KV layout is missing";
            return null;
        }

        if (layout.NumLayers > int.MaxValue || layout.NumKvHeads > int.MaxValue || layout.HeadDim > int.MaxValue || layout.BlockSize > int.MaxValue)
        {
            error = "a KV layout field is out of range";
            return null;
        }

        var result = new KvCacheLayout((int)layout.NumLayers, (int)layout.NumKvHeads, (int)layout.HeadDim, (KvDataType)(int)layout.Dtype, (int)layout.BlockSize);
        error = result.Validate();
        return error is null ? result : null;
    }
}
