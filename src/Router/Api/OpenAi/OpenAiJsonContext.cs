using System.Text.Json.Serialization;

namespace Cluster.Router.Api.OpenAi;

/// <summary>Source-generated System.Text.Json metadata for every OpenAI request and response body (no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OpenAiRequestBody))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(OpenAiModelList))]
[JsonSerializable(typeof(OpenAiErrorBody))]
[JsonSerializable(typeof(OpenAiCancelResponse))]
internal sealed partial class OpenAiJsonContext : JsonSerializerContext;
