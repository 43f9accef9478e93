using System.Text.Json;

namespace Cluster.Router.Api.OpenAi;

/// <summary>
/// Refuses (400 naming the parameter) every OpenAI request parameter this server does not implement when it is set to
/// anything but its default, so that a client asking for tools or JSON mode never gets an output that ignored it.
/// </summary>
internal static class OpenAiUnsupported
{
    public static void Check(OpenAiRequestBody body)
    {
        Refuse("tools", IsSet(body.Tools) && !IsEmptyArray(body.Tools), "tools (function calling) are not supported by this server.");
        Refuse("tool_choice", IsSet(body.ToolChoice) && !IsString(body.ToolChoice, "none"), "tool_choice is not supported: this server has no tools (only \"none\").");
        Refuse("functions", IsSet(body.Functions) && !IsEmptyArray(body.Functions), "functions (function calling) are not supported by this server.");
        Refuse("function_call", IsSet(body.FunctionCall) && !IsString(body.FunctionCall, "none"), "function_call is not supported: this server has no functions (only \"none\").");
        Refuse("response_format", IsSet(body.ResponseFormat) && !IsTextFormat(body.ResponseFormat!.Value),
            "response_format is not supported: JSON mode and JSON schemas are not implemented (only {\"type\":\"text\"}).");
        Refuse("logit_bias", IsSet(body.LogitBias) && !(body.LogitBias!.Value.ValueKind == JsonValueKind.Object && !body.LogitBias.Value.EnumerateObject().Any()),
            "logit_bias is not supported by this server (only an empty object).");
        Refuse("modalities", IsSet(body.Modalities) && !IsTextModalities(body.Modalities!.Value), "modalities other than [\"text\"] are not supported.");
        Refuse("audio", IsSet(body.Audio), "audio output is not supported.");
        Refuse("prediction", IsSet(body.Prediction), "prediction (predicted outputs) is not supported.");
        Refuse("reasoning_effort", IsSet(body.ReasoningEffort), "reasoning_effort is not supported.");
        Refuse("web_search_options", IsSet(body.WebSearchOptions), "web_search_options is not supported.");
        if (IsSet(body.ParallelToolCalls) && body.ParallelToolCalls!.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw ApiException.Invalid("parallel_tool_calls", "parallel_tool_calls must be true or false.");
        }

        for (var i = 0; i < (body.Messages?.Count ?? 0); i++)
        {
            if (body.Messages![i] is not { } m)
            {
                continue;
            }

            Refuse($"messages[{i}].tool_calls", IsSet(m.ToolCalls) && !IsEmptyArray(m.ToolCalls), $"messages[{i}].tool_calls: tool calls are not supported by this server.");
            Refuse($"messages[{i}].function_call", IsSet(m.FunctionCall), $"messages[{i}].function_call: function calls are not supported by this server.");
            Refuse($"messages[{i}].role", m.Role is "tool" or "function", $"messages[{i}].role '{m.Role}': tool and function results are not supported (this server has no tools).");
        }
    }

    private static void Refuse(string param, bool refused, string message)
    {
        if (refused)
        {
            throw ApiException.Invalid(param, message);
        }
    }

    private static bool IsSet(JsonElement? value) => value is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) };

    private static bool IsEmptyArray(JsonElement? value) => value is { ValueKind: JsonValueKind.Array } a && a.GetArrayLength() == 0;

    private static bool IsString(JsonElement? value, string text) => value is { ValueKind: JsonValueKind.String } s && s.ValueEquals(text);

    private static bool IsTextFormat(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
        && type.ValueEquals("text") && value.EnumerateObject().All(p => p.NameEquals("type"));

    private static bool IsTextModalities(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && e.ValueEquals("text"));
}
