namespace Cluster.Tokenization.Tests;

/// <summary>Special tokens, BOS/EOS from the files, streaming across byte-fallback tokens, and decoding rules on the real vocabularies.</summary>
public class TokenizerBehaviourTests
{
    [Fact]
    public void Special_tokens_in_user_text_stay_text_unless_allowed()
    {
        var qwen = TestTokenizers.Get("qwen3");
        var imStart = qwen.TokenToId("<|im_start|>")!.Value;
        var plain = qwen.Encode("<|im_start|>user", addSpecialTokens: false);
        Assert.DoesNotContain(imStart, plain);
        Assert.Equal("<|im_start|>user", qwen.Decode(plain));
        var allowed = qwen.Encode("<|im_start|>user", addSpecialTokens: false, allowSpecialTokens: true);
        Assert.Equal(imStart, allowed[0]);
        Assert.Equal(2, allowed.Length);
        // Non-special added tokens (<think>) always match, as in Hugging Face tokenizers.
        var think = qwen.TokenToId("<think>")!.Value;
        Assert.Contains(think, qwen.Encode("a<think>b", addSpecialTokens: false));
        Assert.False(qwen.IsSpecial(think));
        Assert.True(qwen.IsSpecial(imStart));
    }

    [Fact]
    public void Bos_comes_from_the_post_processor_or_the_llama_config()
    {
        var llama2 = TestTokenizers.Get("llama2");
        Assert.Equal(1, llama2.BosTokenId);
        Assert.Equal(2, llama2.EosTokenId);
        Assert.Equal([1], llama2.Encode("", addSpecialTokens: true));
        Assert.Equal(1, llama2.Encode("Hello")[0]);
        Assert.NotEqual(1, llama2.Encode("Hello", addSpecialTokens: false)[0]);
        var llama31 = TestTokenizers.Get("llama3_1");
        Assert.Equal(128000, llama31.Encode("Hi")[0]);
        Assert.Equal(128009, llama31.EosTokenId);
        var deepseek = TestTokenizers.Get("deepseek_v3"); // LlamaTokenizerFast + add_bos_token: BOS although the post_processor is ByteLevel
        Assert.Equal(0, deepseek.Encode("Hi")[0]);
        Assert.NotEqual(0, deepseek.Encode("Hi", addSpecialTokens: false)[0]);
        var qwen = TestTokenizers.Get("qwen3");
        Assert.Null(qwen.BosTokenId);
        Assert.Equal(qwen.Encode("Hi", addSpecialTokens: false), qwen.Encode("Hi"));
    }

    [Fact]
    public void Byte_fallback_character_is_held_until_complete_while_streaming()
    {
        var llama2 = TestTokenizers.Get("llama2");
        var ids = llama2.Encode("\U0001F999", addSpecialTokens: false); // 🦙, not in the vocabulary: 4 byte tokens
        Assert.Equal(["<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"], ids.Skip(ids.Length - 4).Select(i => llama2.IdToToken(i)!));
        var decoder = llama2.CreateStreamingDecoder();
        var outputs = ids.Select(decoder.Append).ToList();
        Assert.All(outputs.Take(outputs.Count - 1), o => Assert.DoesNotContain('\uFFFD', o));
        Assert.Equal("\U0001F999", string.Concat(outputs) + decoder.Flush());
    }

    [Fact]
    public void Streaming_a_truncated_character_ends_in_a_replacement_character_like_a_full_decode()
    {
        var llama2 = TestTokenizers.Get("llama2");
        int[] ids = [llama2.TokenToId("<0xE2>")!.Value, llama2.TokenToId("<0x82>")!.Value, llama2.TokenToId("▁Hello")!.Value];
        var decoder = llama2.CreateStreamingDecoder();
        Assert.Equal("", decoder.Append(ids[0]));
        Assert.Equal("", decoder.Append(ids[1]));
        Assert.Equal("\uFFFD Hello", decoder.Append(ids[2]));
        Assert.Equal("\uFFFD Hello", llama2.Decode(ids));
    }

    [Fact]
    public void Sentencepiece_leading_space_is_stripped_once_at_the_start_of_a_stream()
    {
        var llama2 = TestTokenizers.Get("llama2");
        var ids = llama2.Encode("Hello world", addSpecialTokens: true);
        var decoder = llama2.CreateStreamingDecoder(skipSpecialTokens: true);
        var pieces = ids.Select(decoder.Append).ToList();
        Assert.Equal(["", "Hello", " world"], pieces);
        Assert.Equal("<s> Hello world", llama2.Decode(ids));
        Assert.Equal("Hello world", llama2.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Byte_level_streaming_splits_multibyte_characters_across_tokens_safely()
    {
        var gpt2 = TestTokenizers.Get("gpt2");
        var text = "日本語のテキスト 😀 and ✓";
        var ids = gpt2.Encode(text, addSpecialTokens: false);
        var streamed = CorpusTests.Stream(gpt2, ids, out var split);
        Assert.False(split);
        Assert.Equal(text, streamed);
        Assert.True(ids.Length > text.Length / 2, "expects characters split over several byte tokens");
    }

    [Fact]
    public void Unknown_ids_are_rejected()
    {
        var gpt2 = TestTokenizers.Get("gpt2");
        Assert.Throws<ArgumentOutOfRangeException>(() => gpt2.Decode([gpt2.VocabularySize + 5]));
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids_as_sequential()
    {
        var qwen = TestTokenizers.Get("qwen3");
        var texts = Enumerable.Range(0, 400).Select(i => $"request {i}: Hello wörld {i * 7919} 你好 😀 {new string('x', i % 37)}").ToList();
        var sequential = texts.Select(t => qwen.Encode(t)).ToList();
        var fresh = Tokenizer.FromDirectory(ReferenceFiles.LenmlModel("qwen3")); // cold piece cache, filled concurrently
        var parallel = new int[texts.Count][];
        Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = fresh.Encode(texts[i]));
        for (var i = 0; i < texts.Count; i++) Assert.Equal(sequential[i], parallel[i]);
    }
}
