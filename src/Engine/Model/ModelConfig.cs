namespace Cluster.Engine.Model;

/// <summary>The shape of a Llama-family model, as read from a Hugging Face config.json.</summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HeadDim { get; init; }
    public double RmsNormEps { get; init; } = 1e-5;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 4096;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>q/k/v projections carry a bias (Qwen2; Llama with attention_bias).</summary>
    public bool AttentionBias { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>Sliding attention window (Mistral; Qwen2 with use_sliding_window); positions are capped at it.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>config.json's torch_dtype ("bfloat16", "float16", "float32"), if any.</summary>
    public string? TorchDtype { get; init; }

    public int QueryGroups => NumHeads / NumKvHeads;
}
