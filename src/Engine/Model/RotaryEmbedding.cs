using Cluster.Torch;

namespace Cluster.Engine.Model;

/// <summary>
/// cos/sin tables for rotary position embeddings, [maxPositions, headDim] in the model's dtype, computed
/// as Hugging Face does (float32 frequencies, llama3 scaling, then cast).
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    public RotaryEmbedding(ModelConfig config, int maxPositions, ScalarType dtype, Device device)
    {
        var invFreq = InverseFrequencies(config);
        using var scope = torch.NewDisposeScope();
        var inv = torch.tensor(invFreq, [invFreq.Length], device);                    // [D/2]
        var pos = torch.arange(0, maxPositions, 1, torch.float32, device);             // [P]
        var freqs = pos.unsqueeze(1) * inv.unsqueeze(0);                                // [P, D/2]
        var emb = torch.cat([freqs, freqs], 1);                                         // [P, D]
        Cos = emb.cos().to(dtype).DetachFromDisposeScope();
        Sin = emb.sin().to(dtype).DetachFromDisposeScope();
    }

    /// <summary>[maxPositions, headDim].</summary>
    public Tensor Cos { get; }

    /// <summary>[maxPositions, headDim].</summary>
    public Tensor Sin { get; }

    /// <summary>inv_freq[i] = 1 / theta^(2i/d), with Llama 3's low/high-frequency rescaling when configured.</summary>
    public static float[] InverseFrequencies(ModelConfig config)
    {
        var dim = config.HeadDim;
        var inv = new float[dim / 2];
        for (var i = 0; i < inv.Length; i++)
        {
            inv[i] = 1f / MathF.Pow((float)config.RopeTheta, (float)(2 * i) / dim);
        }
        var s = config.RopeScaling;
        if (s is null || s.RopeType == "default") return inv;
        if (s.RopeType != "llama3")
        {
            throw new NotSupportedException($"rope_scaling type '{s.RopeType}' is not supported (supported: default, llama3)");
        }
        var factor = (float)s.Factor;
        var lowWavelen = (float)s.OriginalMaxPositionEmbeddings / (float)s.LowFreqFactor;
        var highWavelen = (float)s.OriginalMaxPositionEmbeddings / (float)s.HighFreqFactor;
        for (var i = 0; i < inv.Length; i++)
        {
            var wavelen = (float)(2 * Math.PI) / inv[i];
            var scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
            var smooth = ((float)s.OriginalMaxPositionEmbeddings / wavelen - (float)s.LowFreqFactor) /
                         ((float)s.HighFreqFactor - (float)s.LowFreqFactor);
            var smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
            var medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            inv[i] = medium ? smoothed : scaled;
        }
        return inv;
    }

    public void Dispose()
    {
        Cos.Dispose();
        Sin.Dispose();
    }
}
