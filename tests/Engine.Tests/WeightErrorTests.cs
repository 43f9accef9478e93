using System.Text.Json.Nodes;
using Cluster.Engine.Model;
using Cluster.Engine.Synthetic;
using Cluster.Engine.Weights;
using Cluster.Torch;

namespace Cluster.Engine.Tests;

public sealed class WeightErrorTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "weights-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Load_UnsupportedArchitecture_NamesItAndTheSupportedOnes()
    {
        SyntheticModelWriter.Write(_dir, ModelPresets.Get("tiny"), ScalarType.Float32, 1);
        var path = Path.Combine(_dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        config["architectures"] = new JsonArray("GPT2LMHeadModel");
        File.WriteAllText(path, config.ToJsonString());
        var e = Assert.Throws<NotSupportedException>(() => HfConfigReader.Read(_dir));
        Assert.Contains("GPT2LMHeadModel", e.Message);
        Assert.Contains("LlamaForCausalLM", e.Message);
    }

    [Fact]
    public void Load_ShapeMismatch_NamesTensorShapesAndFile()
    {
        SyntheticModelWriter.Write(_dir, ModelPresets.Get("tiny") with { IntermediateSize = 100 }, ScalarType.Float32, 1);
        HfConfigWriter.Write(_dir, ModelPresets.Get("tiny"), "float32");   // config says 192
        var e = Assert.Throws<InvalidDataException>(() => LlamaModel.Load(_dir, Device.CPU, ScalarType.Float32));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", e.Message);
        Assert.Contains("[100, 64]", e.Message);
        Assert.Contains("expected [192, 64]", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void Load_MissingTensor_NamesIt()
    {
        SyntheticModelWriter.Write(_dir, ModelPresets.Get("tiny") with { TieWordEmbeddings = true }, ScalarType.Float32, 1);
        HfConfigWriter.Write(_dir, ModelPresets.Get("tiny"), "float32");   // untied: wants lm_head.weight
        var e = Assert.Throws<InvalidDataException>(() => LlamaModel.Load(_dir, Device.CPU, ScalarType.Float32));
        Assert.Contains("lm_head.weight", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Write_SmallShardSize_ShardsWithIndexAndLoadsTheSameLogits()
    {
        var single = Path.Combine(_dir, "single");
        var sharded = Path.Combine(_dir, "sharded");
        var config = ModelPresets.Get("tiny");
        SyntheticModelWriter.Write(single, config, ScalarType.BFloat16, 5);
        SyntheticModelWriter.Write(sharded, config, ScalarType.BFloat16, 5, shardBytes: 40_000);
        Assert.True(File.Exists(Path.Combine(sharded, WeightStore.IndexFile)));
        Assert.True(Directory.GetFiles(sharded, "model-*-of-*.safetensors").Length > 2);
        Assert.Equal(Logits(single), Logits(sharded));
    }

    [Fact]
    public void Write_SameSeed_IsDeterministicAndOtherSeedDiffers()
    {
        var a = Path.Combine(_dir, "a");
        var b = Path.Combine(_dir, "b");
        var c = Path.Combine(_dir, "c");
        SyntheticModelWriter.Write(a, ModelPresets.Get("tiny"), ScalarType.Float16, 9);
        SyntheticModelWriter.Write(b, ModelPresets.Get("tiny"), ScalarType.Float16, 9);
        SyntheticModelWriter.Write(c, ModelPresets.Get("tiny"), ScalarType.Float16, 10);
        var fa = File.ReadAllBytes(Path.Combine(a, WeightStore.SingleFile));
        Assert.Equal(fa, File.ReadAllBytes(Path.Combine(b, WeightStore.SingleFile)));
        Assert.NotEqual(fa, File.ReadAllBytes(Path.Combine(c, WeightStore.SingleFile)));
    }

    private static float[] Logits(string dir)
    {
        using var model = LlamaModel.Load(dir, Device.CPU, ScalarType.Float32);
        using var cache = model.CreateCache(1, 4);
        using var scope = torch.NewDisposeScope();
        var ids = torch.tensor([256L, 1, 2, 3], [1, 4]);
        var positions = torch.arange(0, 4).view(1, 4);
        return model.Forward(ids, positions, cache, freshPrefill: true, lastOnly: false).data<float>();
    }
}
