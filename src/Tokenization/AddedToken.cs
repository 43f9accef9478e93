namespace Cluster.Tokenization;

/// <summary>An entry of tokenizer.json <c>added_tokens</c>: matched whole in the raw text and never split.</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false);
