namespace Cluster.Client;

/// <summary>One turn of a conversation, rendered by the server with the model's chat template.</summary>
/// <param name="Role"><c>system</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The turn's text.</param>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>A system turn (instructions).</summary>
    public static ChatMessage System(string content) => new("system", content);

    /// <summary>A user turn.</summary>
    public static ChatMessage User(string content) => new("user", content);

    /// <summary>An assistant turn (earlier replies).</summary>
    public static ChatMessage Assistant(string content) => new("assistant", content);
}
