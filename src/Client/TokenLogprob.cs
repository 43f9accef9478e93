namespace Cluster.Client;

/// <summary>A generated token and its log-probability.</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);
