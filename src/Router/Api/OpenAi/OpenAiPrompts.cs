using System.Text;
using System.Text.Json;
using Cluster.Contracts.V1;

namespace Cluster.Router.Api.OpenAi;

/// <summary>The JSON shapes of <c>prompt</c> and <c>messages</c> → the prompt of a <see cref="GenerateRequest"/>.</summary>
internal static class OpenAiPrompts
{
    public static void SetPrompt(GenerateRequest request, JsonElement? prompt)
    {
        var value = prompt ?? default;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                request.Text = value.GetString()!;
                return;
            case JsonValueKind.Array when value.GetArrayLength() == 1 && value[0].ValueKind is JsonValueKind.String or JsonValueKind.Array:
                SetPrompt(request, value[0]);
                return;
            case JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number):
                var ids = new TokenIds();
                foreach (var e in value.EnumerateArray())
                {
                    ids.Ids.Add(e.TryGetUInt32(out var id) ? id : throw ApiException.Invalid("prompt", $"prompt holds {e}; token ids are integers ≥ 0."));
                }

                request.TokenIds = ids;
                return;
            case JsonValueKind.Array:
                throw ApiException.Invalid("prompt", "prompt must be a string or an array of token ids; batches of prompts are not supported (send one request each).");
            case JsonValueKind.Undefined or JsonValueKind.Null:
                throw ApiException.Invalid("prompt", "prompt is required (a string or an array of token ids).");
            default:
                throw ApiException.Invalid("prompt", "prompt must be a string or an array of token ids.");
        }
    }

    public static ChatPrompt Chat(List<OpenAiMessage>? messages)
    {
        if (messages is null)
        {
            throw ApiException.Invalid("messages", "messages is required (an array of {role, content}).");
        }

        var chat = new ChatPrompt();
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i] ?? throw ApiException.Invalid($"messages[{i}]", $"messages[{i}] is null.");
            if (string.IsNullOrEmpty(m.Role))
            {
                throw ApiException.Invalid($"messages[{i}].role", $"messages[{i}].role is required.");
            }

            chat.Messages.Add(new ChatMessage { Role = m.Role, Content = Content(m.Content, i) });
        }

        return chat;
    }

    private static string Content(JsonElement? content, int index)
    {
        var value = content ?? default;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString()!;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return "";
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (var part in value.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.GetString() != "text"
                        || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                    {
                        throw ApiException.Invalid($"messages[{index}].content", $"messages[{index}].content: only text parts ({{\"type\":\"text\",\"text\":...}}) are supported.");
                    }

                    text.Append(partText.GetString());
                }

                return text.ToString();
            default:
                throw ApiException.Invalid($"messages[{index}].content", $"messages[{index}].content must be a string or an array of text parts.");
        }
    }
}
