using System.Text.Json;

namespace Cluster.Router.Api.OpenAi;

/// <summary>
/// The body of POST /v1/completions and /v1/chat/completions (snake_case on the wire). Fields that take several JSON
/// shapes (prompt, stop, logprobs, message content) stay <see cref="JsonElement"/>s and are checked by
/// <see cref="OpenAiRequestMapper"/>. OpenAI parameters that are not implemented are refused when set (see
/// <see cref="OpenAiUnsupported"/>); fields OpenAI does not define are ignored.
/// </summary>
internal sealed class OpenAiRequestBody
{
    public string? Model { get; set; }

    public JsonElement? Prompt { get; set; }

    public List<OpenAiMessage>? Messages { get; set; }

    public int? MaxTokens { get; set; }

    public int? MaxCompletionTokens { get; set; }

    public double? Temperature { get; set; }

    public double? TopP { get; set; }

    public int? N { get; set; }

    public int? BestOf { get; set; }

    public bool? Echo { get; set; }

    public string? Suffix { get; set; }

    public JsonElement? Stop { get; set; }

    public long? Seed { get; set; }

    public double? PresencePenalty { get; set; }

    public double? FrequencyPenalty { get; set; }

    public JsonElement? Logprobs { get; set; }

    public int? TopLogprobs { get; set; }

    public string? User { get; set; }

    public bool? Stream { get; set; }

    public OpenAiStreamOptions? StreamOptions { get; set; }

    public int? TopK { get; set; }

    public double? MinP { get; set; }

    public double? RepetitionPenalty { get; set; }

    public bool? IgnoreEos { get; set; }

    public List<int>? StopTokenIds { get; set; }

    public string? RequestId { get; set; }

    public string? CacheSalt { get; set; }

    // OpenAI parameters this server does not implement: read only so that a non-default value is refused
    // (OpenAiUnsupported) instead of being silently ignored.

    public JsonElement? Tools { get; set; }

    public JsonElement? ToolChoice { get; set; }

    public JsonElement? ParallelToolCalls { get; set; }

    public JsonElement? Functions { get; set; }

    public JsonElement? FunctionCall { get; set; }

    public JsonElement? ResponseFormat { get; set; }

    public JsonElement? LogitBias { get; set; }

    public JsonElement? Modalities { get; set; }

    public JsonElement? Audio { get; set; }

    public JsonElement? Prediction { get; set; }

    public JsonElement? ReasoningEffort { get; set; }

    public JsonElement? WebSearchOptions { get; set; }
}

/// <summary><c>stream_options</c>.</summary>
internal sealed class OpenAiStreamOptions
{
    public bool? IncludeUsage { get; set; }
}

/// <summary>One chat message; <c>content</c> is a string, an array of parts (only text parts are served) or null.</summary>
internal sealed class OpenAiMessage
{
    public string? Role { get; set; }

    public JsonElement? Content { get; set; }

    /// <summary>Assistant tool calls: refused (tools are not supported).</summary>
    public JsonElement? ToolCalls { get; set; }

    /// <summary>The deprecated assistant function call: refused.</summary>
    public JsonElement? FunctionCall { get; set; }
}
