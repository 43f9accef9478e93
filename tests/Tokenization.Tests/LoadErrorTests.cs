namespace Cluster.Tokenization.Tests;

/// <summary>Unsupported tokenizer.json content fails at load with a message naming what is missing.</summary>
public class LoadErrorTests
{
    private const string Bpe = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\"]}";

    [Theory]
    [InlineData("""{"model": {"type": "Unigram", "vocab": []}}""", "tokenizer.json model type 'Unigram' is not supported; supported: BPE")]
    [InlineData("""{"model": {"type": "WordPiece", "vocab": {}}, "decoder": {"type": "WordPiece"}}""", "model type 'WordPiece' is not supported")]
    [InlineData("{" + Bpe + """, "decoder": {"type": "CTC"}}""", "decoder type 'CTC' is not supported; supported: ByteLevel, Metaspace, Sequence")]
    [InlineData("{" + Bpe + """, "decoder": {"type": "ByteLevel"}, "normalizer": {"type": "NFKC"}}""", "normalizer type 'NFKC' is not supported; supported: Sequence, Prepend, Replace, NFC, Lowercase")]
    [InlineData("{" + Bpe + """, "decoder": {"type": "ByteLevel"}, "pre_tokenizer": {"type": "BertPreTokenizer"}}""", "pre_tokenizer type 'BertPreTokenizer' is not supported")]
    [InlineData("{" + Bpe + """, "decoder": {"type": "ByteLevel"}, "post_processor": {"type": "RobertaProcessing"}}""", "post_processor type 'RobertaProcessing' is not supported")]
    [InlineData("{" + Bpe + """, "decoder": {"type": "Fuse"}}""", "decoder type 'Fuse' is not supported")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}, "decoder": {"type": "Metaspace"}}""", "BPE merge #0 'a b' uses a token missing from the vocabulary")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "continuing_subword_prefix": "##"}, "decoder": {"type": "Metaspace"}}""", "continuing_subword_prefix '##' is not supported")]
    public void Unsupported_content_is_named(string json, string expected)
    {
        var e = Assert.Throws<TokenizerLoadException>(() => Tokenizer.FromJson(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_without_tokenizer_json_says_so()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            var e = Assert.Throws<TokenizerLoadException>(() => Tokenizer.FromDirectory(dir.FullName));
            Assert.Contains("tokenizer.json not found", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
