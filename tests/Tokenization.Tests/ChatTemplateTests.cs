using System.Text.Json;
using Cluster.Tokenization.Templates;

namespace Cluster.Tokenization.Tests;

/// <summary>
/// Rendered chat templates equal @huggingface/jinja's output (reference/chat_reference.js) for every
/// template × conversation × add_generation_prompt of reference/chat_cases.js, including the real
/// Llama 3, Qwen3, Gemma 3 and DeepSeek V3 templates; templates that call raise_exception must raise with the same message.
/// </summary>
public class ChatTemplateTests
{
    private static readonly Lazy<List<JsonElement>> Rows = new(() =>
        [.. NodeRunner.Run("chat_reference.js", null).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)]);

    [Fact]
    public void Every_case_renders_exactly_like_the_reference()
    {
        var rows = Rows.Value;
        Assert.True(rows.Count >= 150, $"only {rows.Count} chat cases");
        var failures = new List<string>();
        foreach (var row in rows)
        {
            var name = $"{row.GetProperty("template").GetString()} / {row.GetProperty("conversation").GetString()} / gen={row.GetProperty("context").GetProperty("add_generation_prompt").GetBoolean()}";
            var context = row.GetProperty("context").EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
            string? rendered = null, error = null;
            try
            {
                rendered = ChatTemplate.Parse(row.GetProperty("source").GetString()!).Render(context);
            }
            catch (TemplateException e) when (e.RaisedByTemplate)
            {
                error = e.Message;
            }
            if (row.TryGetProperty("error", out var expectedError))
            {
                if (error != expectedError.GetString()) failures.Add($"{name}: expected raise_exception \"{expectedError.GetString()}\", got {(error is null ? $"output \"{ReferenceCase.Escape(rendered!)}\"" : $"\"{error}\"")}");
            }
            else if (rendered != row.GetProperty("rendered").GetString())
            {
                failures.Add($"{name}:\n  expected \"{ReferenceCase.Escape(row.GetProperty("rendered").GetString()!)}\"\n  actual   \"{ReferenceCase.Escape(rendered ?? "raised: " + error)}\"");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {rows.Count} chat cases differ:\n{string.Join('\n', failures.Take(10))}");
    }

    [Fact]
    public void Real_qwen3_template_loads_from_tokenizer_config_and_renders_messages()
    {
        var tokenizer = TestTokenizers.Get("qwen3");
        var template = ChatTemplate.FromConfig(tokenizer.Config);
        var text = template.Render([new ChatMessage("system", "S"), new ChatMessage("user", "U")], addGenerationPrompt: true,
            tokenizer.Config.BosToken, tokenizer.Config.EosToken, new Dictionary<string, object?> { ["enable_thinking"] = false });
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", text);
        var ids = tokenizer.Encode(text, addSpecialTokens: false, allowSpecialTokens: true);
        Assert.Equal(tokenizer.TokenToId("<|im_start|>"), ids[0]);
    }
}
