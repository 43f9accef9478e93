using Cluster.Engine.Synthetic;
using Cluster.Engine.Text;
using Cluster.Tokenization;

namespace Cluster.Router.Tests.Api.Infrastructure;

/// <summary>
/// A tiny model directory written by src/Engine/Synthetic (config.json with a 128-token context, byte-level tokenizer:
/// ids 0–255 are bytes, 256 BOS, 257 EOS, no BOS added to text prompts; chat template "role: content\n" + "assistant: "). No weights: the router
/// never loads them. One per test run, deleted at process exit.
/// </summary>
internal static class TinyModel
{
    public const string Id = "tiny";
    public const int ContextLength = 128;
    public const int VocabularySize = 320;

    private static readonly Lazy<string> Dir = new(Create);
    private static readonly Lazy<Tokenizer> LazyTokenizer = new(() => Tokenizer.FromDirectory(Directory));

    public static string Directory => Dir.Value;

    public static Tokenizer Tokenizer => LazyTokenizer.Value;

    /// <summary>A model directory written without a chat template (for the "no template" error).</summary>
    public static string CreateWithoutChatTemplate()
    {
        var dir = NewDirectory();
        var config = Path.Combine(dir, "tokenizer_config.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json.Remove("chat_template");
        File.WriteAllText(config, json.ToJsonString());
        return dir;
    }

    private static string Create() => NewDirectory();

    private static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "router-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        var config = ModelPresets.Get("tiny") with { MaxPositionEmbeddings = ContextLength };
        HfConfigWriter.Write(dir, config, "float32");
        ByteLevelTokenizerFiles.Write(dir, config.VocabSize, ModelPresets.BosId, ModelPresets.EosId);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(dir);
        return dir;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Temp files; leaving one behind is harmless.
        }
    }
}
