using Cluster.Torch;

namespace Cluster.Engine.Model;

/// <summary>One decoder layer's weights; q/k/v and gate/up are fused along the output dimension.</summary>
public sealed record LayerWeights(
    Tensor InputNorm,      // [hidden]
    Tensor Qkv,            // [(H + 2·Hkv)·D, hidden]
    Tensor? QkvBias,       // [(H + 2·Hkv)·D] (Qwen2)
    Tensor O,              // [hidden, H·D]
    Tensor PostAttentionNorm, // [hidden]
    Tensor GateUp,         // [2·intermediate, hidden]
    Tensor Down)           // [hidden, intermediate]
    : IDisposable
{
    public void Dispose()
    {
        InputNorm.Dispose();
        Qkv.Dispose();
        QkvBias?.Dispose();
        O.Dispose();
        PostAttentionNorm.Dispose();
        GateUp.Dispose();
        Down.Dispose();
    }
}
