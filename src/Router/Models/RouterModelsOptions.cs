using Cluster.Core.Generation;

namespace Cluster.Router.Models;

/// <summary>
/// The router's client-API settings (configuration section <c>Router</c>): the served models and request limits.
/// </summary>
public sealed class RouterModelsOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Router";

    /// <summary>Default limit on an OpenAI HTTP request body: 4 MiB.</summary>
    public const long DefaultMaxRequestBytes = 4L << 20;

    /// <summary>Default cap on <c>max_tokens</c> when a chat request leaves it out (the context remainder, at most this).</summary>
    public const int DefaultChatMaxTokensCap = GenerationDefaults.ChatMaxTokensCap;

    /// <summary>Default <c>max_tokens</c> of a text or token-id completion that leaves it out (OpenAI's default).</summary>
    public const int DefaultCompletionMaxTokens = GenerationDefaults.CompletionMaxTokens;

    /// <summary>Served models: <c>Router:Models:0:Id</c>, <c>Router:Models:0:Path</c>, …</summary>
    public List<ServedModelOptions> Models { get; set; } = [];

    /// <summary>Largest accepted OpenAI HTTP request body in bytes (larger → 413).</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>Cap on the default <c>max_tokens</c> of chat requests.</summary>
    public int ChatMaxTokensCap { get; set; } = DefaultChatMaxTokensCap;

    /// <summary>Default <c>max_tokens</c> of text / token-id completions.</summary>
    public int CompletionMaxTokens { get; set; } = DefaultCompletionMaxTokens;
}

/// <summary>One served model: the id clients pass as <c>model</c> and a Hugging Face model directory.</summary>
public sealed class ServedModelOptions
{
    /// <summary>The model id (e.g. <c>llama-3.2-1b</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>Directory with tokenizer.json, tokenizer_config.json and config.json.</summary>
    public string Path { get; set; } = "";

    /// <summary>Shown as <c>owned_by</c> in model lists.</summary>
    public string OwnedBy { get; set; } = "cluster";
}
