using System.Text;
using Cluster.Tokenization.Templates.Runtime;
using Cluster.Tokenization.Templates.Syntax;

namespace Cluster.Tokenization.Templates;

/// <summary>
/// A parsed Hugging Face chat template (the Jinja in tokenizer_config.json's chat_template), rendered
/// with a Jinja subset: if/elif/else, for (loop.*), set (namespace), filters, tests, str methods,
/// slicing, raise_exception. Parsing is done once; rendering is thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private readonly IReadOnlyList<Node> _nodes;

    private ChatTemplate(string source, IReadOnlyList<Node> nodes)
    {
        Source = source;
        _nodes = nodes;
    }

    public string Source { get; }

    /// <summary>Parses a template; throws <see cref="TemplateException"/> naming any unsupported construct and its position.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, TemplateParser.Parse(source));
    }

    /// <summary>The named template of a tokenizer config ("default" when the config holds a single string).</summary>
    public static ChatTemplate FromConfig(TokenizerConfig config, string name = "default")
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.ChatTemplates.TryGetValue(name, out var source)
            ? Parse(source)
            : throw new TemplateException($"tokenizer_config.json has no chat template named '{name}' (has: {string.Join(", ", config.ChatTemplates.Keys)})");
    }

    /// <summary>Renders with the usual variables: messages, add_generation_prompt, bos_token, eos_token, plus extras (tools, enable_thinking...).</summary>
    public string Render(IEnumerable<ChatMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var context = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages.Select(m => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["bos_token"] = bosToken,
            ["eos_token"] = eosToken,
        };
        if (extra is not null) foreach (var kv in extra) context[kv.Key] = kv.Value;
        return Render(context);
    }

    /// <summary>Renders with arbitrary variables (strings, numbers, bools, dictionaries, lists, JsonElement).</summary>
    public string Render(IReadOnlyDictionary<string, object?> context, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var globals = new Scope(null);
        Globals.Install(globals, clock ?? TimeProvider.System);
        var scope = new Scope(globals);
        foreach (var kv in context) scope.Set(kv.Key, Values.FromClr(kv.Value));
        var output = new StringBuilder();
        TemplateRenderer.Render(_nodes, scope, output);
        return output.ToString();
    }
}
