using System.Text.Json;
using Cluster.Core.Ids;
using Cluster.Tokenization;
using Cluster.Tokenization.Templates;

namespace Cluster.Router.Models;

/// <summary>Loads a <see cref="ServedModel"/> from a Hugging Face model directory; failures name the file and the fix.</summary>
internal static class ServedModelLoader
{
    public static ServedModel Load(ServedModelOptions options, TimeProvider clock)
    {
        var where = $"model '{options.Id}' ({options.Path})";
        Tokenizer tokenizer;
        try
        {
            tokenizer = Tokenizer.FromDirectory(options.Path);
        }
        catch (Exception e) when (e is TokenizerLoadException or IOException or JsonException)
        {
            throw new InvalidOperationException($"{where}: cannot load the tokenizer: {e.Message}", e);
        }

        ChatTemplate? template = null;
        if (tokenizer.Config.ChatTemplates.Count > 0)
        {
            try
            {
                template = ChatTemplate.FromConfig(tokenizer.Config);
            }
            catch (Exception e) when (e is TemplateException or ArgumentException or KeyNotFoundException)
            {
                throw new InvalidOperationException($"{where}: the chat template in tokenizer_config.json cannot be used: {e.Message}", e);
            }
        }

        var (maxLength, eos) = ReadConfig(Path.Combine(options.Path, "config.json"), where);
        if (eos.Count == 0 && tokenizer.EosTokenId is { } id)
        {
            eos = [id];
        }

        return new ServedModel(new ModelId(options.Id), tokenizer, template, maxLength, eos, options.OwnedBy,
            clock.GetUtcNow().ToUnixTimeSeconds());
    }

    private static (int MaxLength, List<int> Eos) ReadConfig(string path, string where)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("max_position_embeddings", out var max) || !max.TryGetInt32(out var maxLength) || maxLength < 2)
            {
                throw new InvalidOperationException($"{where}: config.json needs an integer max_position_embeddings ≥ 2 (the context length).");
            }

            var eos = new List<int>();
            if (root.TryGetProperty("eos_token_id", out var e))
            {
                if (e.ValueKind == JsonValueKind.Number)
                {
                    eos.Add(e.GetInt32());
                }
                else if (e.ValueKind == JsonValueKind.Array)
                {
                    eos.AddRange(e.EnumerateArray().Select(x => x.GetInt32()));
                }
            }

            return (maxLength, eos);
        }
        catch (Exception ex) when (ex is JsonException or IOException or FormatException)
        {
            throw new InvalidOperationException($"{where}: cannot read config.json: {ex.Message}", ex);
        }
    }
}
