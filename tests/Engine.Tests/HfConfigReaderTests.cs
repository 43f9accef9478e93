using System.Text.Json;
using Cluster.Engine.Model;
using Cluster.Engine.Weights;

namespace Cluster.Engine.Tests;

/// <summary>config.json shapes of the supported families (abridged from their Hugging Face model cards).</summary>
public sealed class HfConfigReaderTests
{
    private static ModelConfig Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return HfConfigReader.Parse(doc.RootElement, "config.json");
    }

    [Fact]
    public void Parse_Llama2_DefaultsHeadDimAndKvHeads()
    {
        var c = Parse("""{"architectures":["LlamaForCausalLM"],"hidden_size":4096,"intermediate_size":11008,"num_attention_heads":32,"num_hidden_layers":32,"rms_norm_eps":1e-05,"vocab_size":32000,"rope_scaling":null,"bos_token_id":1,"eos_token_id":2}""");
        Assert.Equal(128, c.HeadDim);
        Assert.Equal(32, c.NumKvHeads);
        Assert.Null(c.RopeScaling);
        Assert.Equal(10000, c.RopeTheta);
        Assert.Equal([2], c.EosTokenIds);
        Assert.False(c.AttentionBias);
    }

    [Fact]
    public void Parse_Llama31_ReadsLlama3RopeScalingAndEosList()
    {
        var c = Parse("""{"architectures":["LlamaForCausalLM"],"hidden_size":4096,"intermediate_size":14336,"num_attention_heads":32,"num_key_value_heads":8,"num_hidden_layers":32,"vocab_size":128256,"rope_theta":500000.0,"rope_scaling":{"factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192,"rope_type":"llama3"},"eos_token_id":[128001,128008,128009]}""");
        Assert.Equal(new RopeScaling("llama3", 8, 1, 4, 8192), c.RopeScaling);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.Equal(4, c.QueryGroups);
    }

    [Fact]
    public void Parse_Mistral_KeepsSlidingWindow()
    {
        var c = Parse("""{"architectures":["MistralForCausalLM"],"model_type":"mistral","hidden_size":4096,"intermediate_size":14336,"num_attention_heads":32,"num_key_value_heads":8,"num_hidden_layers":32,"vocab_size":32000,"sliding_window":4096}""");
        Assert.Equal(4096, c.SlidingWindow);
    }

    [Fact]
    public void Parse_Qwen2_HasQkvBiasTiedEmbeddingsAndNoWindowUnlessEnabled()
    {
        var c = Parse("""{"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","hidden_size":896,"intermediate_size":4864,"num_attention_heads":14,"num_key_value_heads":2,"num_hidden_layers":24,"vocab_size":151936,"tie_word_embeddings":true,"use_sliding_window":false,"sliding_window":32768,"rope_theta":1000000.0}""");
        Assert.True(c.AttentionBias);
        Assert.True(c.TieWordEmbeddings);
        Assert.Null(c.SlidingWindow);
        Assert.Equal(64, c.HeadDim);
    }

    [Fact]
    public void Parse_SmolLmAndTinyLlama_AreLlama()
    {
        var smol = Parse("""{"architectures":["LlamaForCausalLM"],"hidden_size":576,"intermediate_size":1536,"num_attention_heads":9,"num_key_value_heads":3,"num_hidden_layers":30,"vocab_size":49152,"tie_word_embeddings":true}""");
        Assert.Equal(64, smol.HeadDim);
        Assert.True(smol.TieWordEmbeddings);
        var tiny = Parse("""{"architectures":["LlamaForCausalLM"],"hidden_size":2048,"intermediate_size":5632,"num_attention_heads":32,"num_key_value_heads":4,"num_hidden_layers":22,"vocab_size":32000}""");
        Assert.Equal(8, tiny.QueryGroups);
    }

    [Fact]
    public void Parse_UnknownRopeScaling_IsRejected()
    {
        var e = Assert.Throws<NotSupportedException>(() => Parse("""{"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,"num_attention_heads":4,"num_hidden_layers":1,"vocab_size":300,"rope_scaling":{"type":"yarn","factor":4.0}}"""));
        Assert.Contains("yarn", e.Message);
    }
}
