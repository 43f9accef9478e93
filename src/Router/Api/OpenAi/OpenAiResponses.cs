using System.Text.Json.Serialization;

namespace Cluster.Router.Api.OpenAi;

// Response bodies of the OpenAI HTTP API (snake_case on the wire, nulls left out unless marked).

internal sealed record OpenAiUsage(int PromptTokens, int CompletionTokens, int TotalTokens, OpenAiPromptTokensDetails PromptTokensDetails);

internal sealed record OpenAiPromptTokensDetails(int CachedTokens);

internal sealed record CompletionLogprobs(IReadOnlyList<string> Tokens, IReadOnlyList<float> TokenLogprobs, IReadOnlyList<int> TextOffset)
{
    /// <summary><c>logprobs: 0</c> asks for no alternatives: one empty map per token (larger counts are refused).</summary>
    public IReadOnlyList<Dictionary<string, float>> TopLogprobs => [.. Tokens.Select(_ => new Dictionary<string, float>())];
}

internal sealed record CompletionChoice(
    int Index,
    string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] CompletionLogprobs? Logprobs);

internal sealed record CompletionResponse(string Id, string Object, long Created, string Model, IReadOnlyList<CompletionChoice> Choices, OpenAiUsage? Usage);

internal sealed record ChatTokenLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes, IReadOnlyList<ChatTopLogprob> TopLogprobs);

internal sealed record ChatTopLogprob(string Token, float Logprob, IReadOnlyList<int> Bytes);

internal sealed record ChatLogprobs(IReadOnlyList<ChatTokenLogprob> Content);

internal sealed record ChatMessageBody(string Role, string Content);

internal sealed record ChatChoice(
    int Index,
    ChatMessageBody Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChatLogprobs? Logprobs);

internal sealed record ChatCompletionResponse(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, OpenAiUsage Usage);

internal sealed record ChatDelta(string? Role, string? Content);

internal sealed record ChatChunkChoice(
    int Index,
    ChatDelta Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChatLogprobs? Logprobs);

internal sealed record ChatCompletionChunk(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChunkChoice> Choices, OpenAiUsage? Usage);

internal sealed record OpenAiModel(string Id, string Object, long Created, string OwnedBy);

internal sealed record OpenAiModelList(string Object, IReadOnlyList<OpenAiModel> Data);

internal sealed record OpenAiError([property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string Message, string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);

internal sealed record OpenAiErrorBody(OpenAiError Error);

/// <summary>POST /v1/requests/{id}/cancel: the caller's request <paramref name="Id"/> was cancelled.</summary>
internal sealed record OpenAiCancelResponse(string Id, string Object, bool Cancelled);
