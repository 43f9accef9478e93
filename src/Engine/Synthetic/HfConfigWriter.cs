using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Engine.Model;

namespace Cluster.Engine.Synthetic;

/// <summary>Writes config.json and generation_config.json for a <see cref="ModelConfig"/> in Hugging Face's format.</summary>
public static class HfConfigWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string directory, ModelConfig c, string torchDtype)
    {
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(c.Architecture),
            ["model_type"] = c.ModelType,
            ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize,
            ["num_hidden_layers"] = c.NumLayers,
            ["num_attention_heads"] = c.NumHeads,
            ["num_key_value_heads"] = c.NumKvHeads,
            ["head_dim"] = c.HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta,
            ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["bos_token_id"] = c.BosTokenId,
            ["eos_token_id"] = c.EosTokenIds.Count == 1 ? c.EosTokenIds[0] : new JsonArray(c.EosTokenIds.Select(i => (JsonNode)i).ToArray()),
            ["torch_dtype"] = torchDtype,
            ["initializer_range"] = 0.02,
            ["attention_dropout"] = 0.0,
            ["use_cache"] = true,
        };
        if (c.ModelType == "llama")
        {
            config["attention_bias"] = c.AttentionBias;
            config["mlp_bias"] = false;
        }
        else
        {
            config["use_sliding_window"] = false;
            config["sliding_window"] = c.MaxPositionEmbeddings;
            config["max_window_layers"] = c.NumLayers;
        }
        if (c.RopeScaling is { } r)
        {
            config["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = r.RopeType,
                ["factor"] = r.Factor,
                ["low_freq_factor"] = r.LowFreqFactor,
                ["high_freq_factor"] = r.HighFreqFactor,
                ["original_max_position_embeddings"] = r.OriginalMaxPositionEmbeddings,
            };
        }
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString(Indented));
        var generation = new JsonObject
        {
            ["bos_token_id"] = c.BosTokenId,
            ["eos_token_id"] = config["eos_token_id"]!.DeepClone(),
            ["do_sample"] = false,
        };
        File.WriteAllText(Path.Combine(directory, "generation_config.json"), generation.ToJsonString(Indented));
    }
}
