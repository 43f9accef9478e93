using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cluster.Engine.Text;

/// <summary>
/// Writes tokenizer.json (a byte-level BPE with no merges: ids 0–255 are the bytes, then BOS, EOS and
/// reserved specials up to the vocabulary size) and tokenizer_config.json, loadable by Hugging Face tokenizers.
/// </summary>
public static class ByteLevelTokenizerFiles
{
    public const string BosToken = "<|begin_of_text|>";
    public const string EosToken = "<|end_of_text|>";

    public static string SpecialName(int id, int bos, int eos) =>
        id == bos ? BosToken : id == eos ? EosToken : $"<|reserved_special_token_{id}|>";

    public static void Write(string directory, int vocabSize, int bos, int eos)
    {
        if (vocabSize < 258) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "a byte-level vocabulary needs at least 258 ids");
        var vocab = new JsonObject();
        for (var b = 0; b < 256; b++) vocab[ByteLevelAlphabet.ToChar((byte)b).ToString()] = b;
        var added = new JsonArray();
        for (var id = 256; id < vocabSize; id++)
        {
            var name = SpecialName(id, bos, eos);
            vocab[name] = id;
            added.Add(new JsonObject
            {
                ["id"] = id, ["content"] = name, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = byteLevel.DeepClone(),
            ["post_processor"] = byteLevel.DeepClone(),
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), tokenizer.ToJsonString());
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = BosToken,
            ["eos_token"] = EosToken,
            ["add_bos_token"] = true,
            ["model_max_length"] = 131072,
            ["chat_template"] = "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}",
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
