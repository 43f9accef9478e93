using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Cluster.Engine.Model;
using Cluster.Engine.Text;
using Cluster.Engine.Weights;
using Cluster.Torch;

namespace Cluster.Engine.Synthetic;

/// <summary>
/// Writes a deterministic random-weight model in Hugging Face layout: config.json, generation_config.json,
/// model.safetensors (or shards + model.safetensors.index.json), tokenizer.json, tokenizer_config.json.
/// Matrices and biases are normal(0, <see cref="Std"/>) from <see cref="CounterRandom"/>; norm weights are 1.
/// </summary>
public static class SyntheticModelWriter
{
    public const double Std = 0.02;
    public const long DefaultShardBytes = 4L << 30;

    /// <summary>The tensors of a Llama-family checkpoint with Hugging Face names, in file order.</summary>
    public static IReadOnlyList<SafeTensorsWriter.Entry> Tensors(ModelConfig c, ScalarType dtype)
    {
        long h = c.HiddenSize, q = c.NumHeads * c.HeadDim, kv = c.NumKvHeads * c.HeadDim, inter = c.IntermediateSize;
        var list = new List<SafeTensorsWriter.Entry> { new("model.embed_tokens.weight", dtype, [c.VocabSize, h]) };
        for (var i = 0; i < c.NumLayers; i++)
        {
            var p = $"model.layers.{i}.";
            list.Add(new(p + "input_layernorm.weight", dtype, [h]));
            list.Add(new(p + "self_attn.q_proj.weight", dtype, [q, h]));
            list.Add(new(p + "self_attn.k_proj.weight", dtype, [kv, h]));
            list.Add(new(p + "self_attn.v_proj.weight", dtype, [kv, h]));
            if (c.AttentionBias)
            {
                list.Add(new(p + "self_attn.q_proj.bias", dtype, [q]));
                list.Add(new(p + "self_attn.k_proj.bias", dtype, [kv]));
                list.Add(new(p + "self_attn.v_proj.bias", dtype, [kv]));
            }
            list.Add(new(p + "self_attn.o_proj.weight", dtype, [h, q]));
            list.Add(new(p + "post_attention_layernorm.weight", dtype, [h]));
            list.Add(new(p + "mlp.gate_proj.weight", dtype, [inter, h]));
            list.Add(new(p + "mlp.up_proj.weight", dtype, [inter, h]));
            list.Add(new(p + "mlp.down_proj.weight", dtype, [h, inter]));
        }
        list.Add(new("model.norm.weight", dtype, [h]));
        if (!c.TieWordEmbeddings) list.Add(new("lm_head.weight", dtype, [c.VocabSize, h]));
        return list;
    }

    public static void Write(string directory, ModelConfig config, ScalarType dtype, ulong seed,
        long shardBytes = DefaultShardBytes, Action<long, long>? progress = null)
    {
        Directory.CreateDirectory(directory);
        HfConfigWriter.Write(directory, config, TorchDtypeName(dtype));
        ByteLevelTokenizerFiles.Write(directory, config.VocabSize, ModelPresets.BosId, ModelPresets.EosId);
        var tensors = Tensors(config, dtype);
        var shards = Shard(tensors, shardBytes);
        var total = tensors.Sum(t => t.Bytes);
        long done = 0;
        var weightMap = new JsonObject();
        for (var s = 0; s < shards.Count; s++)
        {
            var file = shards.Count == 1 ? WeightStore.SingleFile : $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
            var entries = shards[s];
            var keys = entries.Select(e => CounterRandom.Key(seed, e.Name)).ToArray();
            SafeTensorsWriter.Write(Path.Combine(directory, file), entries,
                (e, first, count, dest) => Fill(entries[e], keys[e], first, count, dest),
                bytes => progress?.Invoke(Interlocked.Add(ref done, bytes), total));
            foreach (var e in entries) weightMap[e.Name] = file;
        }
        if (shards.Count > 1)
        {
            var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = weightMap };
            File.WriteAllText(Path.Combine(directory, WeightStore.IndexFile), index.ToJsonString());
        }
    }

    private static List<List<SafeTensorsWriter.Entry>> Shard(IReadOnlyList<SafeTensorsWriter.Entry> tensors, long shardBytes)
    {
        var shards = new List<List<SafeTensorsWriter.Entry>> { new() };
        long size = 0;
        foreach (var t in tensors)
        {
            if (size > 0 && size + t.Bytes > shardBytes)
            {
                shards.Add([]);
                size = 0;
            }
            shards[^1].Add(t);
            size += t.Bytes;
        }
        return shards;
    }

    private static void Fill(SafeTensorsWriter.Entry e, ulong key, long first, int count, Span<byte> dest)
    {
        var isNorm = e.Name.EndsWith("norm.weight", StringComparison.Ordinal);
        const float std = (float)Std;
        switch (e.DType)
        {
            case ScalarType.Float32:
                var f32 = MemoryMarshal.Cast<byte, float>(dest);
                for (var j = 0; j < count; j++) f32[j] = isNorm ? 1f : CounterRandom.Normal(key, first + j) * std;
                break;
            case ScalarType.BFloat16:
                var bf16 = MemoryMarshal.Cast<byte, ushort>(dest);
                for (var j = 0; j < count; j++)
                {
                    var bits = BitConverter.SingleToUInt32Bits(isNorm ? 1f : CounterRandom.Normal(key, first + j) * std);
                    bf16[j] = (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);   // round to nearest even
                }
                break;
            case ScalarType.Float16:
                var f16 = MemoryMarshal.Cast<byte, Half>(dest);
                for (var j = 0; j < count; j++) f16[j] = (Half)(isNorm ? 1f : CounterRandom.Normal(key, first + j) * std);
                break;
            default:
                throw new NotSupportedException($"weights dtype {e.DType} (use fp32, fp16 or bf16)");
        }
    }

    public static string TorchDtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => throw new NotSupportedException($"weights dtype {dtype} (use fp32, fp16 or bf16)"),
    };
}
