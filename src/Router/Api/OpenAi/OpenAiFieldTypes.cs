namespace Cluster.Router.Api.OpenAi;

/// <summary>The JSON type each OpenAI request field takes, for errors that must not name .NET types.</summary>
internal static class OpenAiFieldTypes
{
    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["model"] = "a string",
        ["prompt"] = "a string or an array of token ids",
        ["messages"] = "an array of message objects",
        ["role"] = "a string",
        ["content"] = "a string or an array of text parts",
        ["max_tokens"] = "an integer (32-bit)",
        ["max_completion_tokens"] = "an integer (32-bit)",
        ["n"] = "an integer (32-bit)",
        ["best_of"] = "an integer (32-bit)",
        ["top_k"] = "an integer (32-bit)",
        ["top_logprobs"] = "an integer (32-bit)",
        ["seed"] = "an integer (64-bit)",
        ["temperature"] = "a number",
        ["top_p"] = "a number",
        ["min_p"] = "a number",
        ["presence_penalty"] = "a number",
        ["frequency_penalty"] = "a number",
        ["repetition_penalty"] = "a number",
        ["echo"] = "true or false",
        ["stream"] = "true or false",
        ["ignore_eos"] = "true or false",
        ["include_usage"] = "true or false",
        ["stream_options"] = "an object",
        ["stop_token_ids"] = "an array of integers",
        ["suffix"] = "a string",
        ["user"] = "a string",
        ["request_id"] = "a string",
        ["cache_salt"] = "a string",
    };

    /// <summary>"a number", "an integer (32-bit)", … for a path such as <c>messages[0].role</c>; the last name decides.</summary>
    public static string Expected(string path)
    {
        var name = path;
        var bracket = name.IndexOf('[', StringComparison.Ordinal);
        var lastDot = name.LastIndexOf('.');
        if (lastDot >= 0)
        {
            name = name[(lastDot + 1)..];
        }
        else if (bracket >= 0)
        {
            // An element of an array field: stop_token_ids[2] is one integer.
            return name[..bracket] == "stop_token_ids" ? "an integer (32-bit)" : "a value of another JSON type";
        }

        var index = name.IndexOf('[', StringComparison.Ordinal);
        if (index >= 0)
        {
            name = name[..index];
        }

        return Types.TryGetValue(name, out var type) ? type : "a value of another JSON type";
    }
}
