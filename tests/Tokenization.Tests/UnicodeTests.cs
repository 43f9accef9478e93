using System.Text.RegularExpressions;
using Cluster.Tokenization.PreTokenizers;
using Cluster.Tokenization.Unicode;

namespace Cluster.Tokenization.Tests;

/// <summary>Our NFC (string.Normalize is a no-op under InvariantGlobalization) and the hand-written split patterns vs .NET Regex.</summary>
public class UnicodeTests
{
    [Theory]
    [InlineData("e\u0301", "\u00e9")]
    [InlineData("\u1100\u1161\u11a8", "\uac01")]
    [InlineData("o\u0323\u0302", "\u1ed9")]
    [InlineData("o\u0302\u0323", "\u1ed9")]
    [InlineData("\u212b", "\u00c5")]
    [InlineData("a\u0301\u0301", "\u00e1\u0301")]
    [InlineData("\u0301e", "\u0301e")]
    [InlineData("\ud800x\u0301", "\ud800x\u0301")]
    [InlineData("\U0001D15E", "\U0001D157\U0001D165")]
    [InlineData("plain ascii", "plain ascii")]
    public void Nfc_composes_reorders_and_keeps_exclusions(string input, string expected) => Assert.Equal(expected, Nfc.Normalize(input));

    [Fact]
    public void String_normalize_is_a_silent_no_op_under_invariant_globalization()
    {
        // Documents why Unicode/Nfc.cs exists: this would be "\u00e9" with ICU.
        Assert.Equal("e\u0301", "e\u0301".Normalize(System.Text.NormalizationForm.FormC));
    }

    [Theory]
    [InlineData(SplitPattern.Gpt2)]
    [InlineData(SplitPattern.Llama3)]
    [InlineData(SplitPattern.Qwen2)]
    public void Split_patterns_match_dotnet_regex_on_basic_multilingual_plane_text(string pattern)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        var scanner = SplitPattern.TryCreate(pattern)!;
        var alphabet = "aZé ß\t\n\r  \u00a0\u3000'sSTtRrEeVvMmLlDd0123٣½!?.,-_\"()😀中文Яه\u0301\u200b".ToCharArray();
        var random = new Random(7);
        for (var n = 0; n < 3000; n++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(1, 24)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            if (text.Any(char.IsSurrogate)) text = text.Replace("\ud83d", "").Replace("\ude00", ""); // .NET Regex sees halves
            var expected = regex.Matches(text).Select(m => m.Value).ToList();
            var actual = new List<string>();
            for (var i = 0; i < text.Length;)
            {
                var end = scanner.MatchAt(text, i);
                actual.Add(text[i..end]);
                i = end;
            }
            Assert.True(expected.SequenceEqual(actual), $"\"{ReferenceCase.Escape(text)}\": regex [{string.Join("|", expected.Select(ReferenceCase.Escape))}] scanner [{string.Join("|", actual.Select(ReferenceCase.Escape))}]");
        }
    }
}
