namespace Cluster.Tokenization.Models;

/// <summary>Settings of the tokenizer.json BPE model that change how pieces become ids.</summary>
internal sealed record BpeOptions(bool ByteLevel, bool ByteFallback, string? UnkToken, bool FuseUnk, bool IgnoreMerges);
