namespace Cluster.Tokenization.Templates;

/// <summary>One chat turn as templates see it: <c>message.role</c>, <c>message.content</c>.</summary>
public sealed record ChatMessage(string Role, string Content);
