using System.Text.Json;

namespace Cluster.Core.Tests.Hashing;

/// <summary>Vectors written by golden/make_vectors.py from the reference xxHash C library.</summary>
internal sealed record GoldenVectors(GoldenVectors.BlockCase[] BlockHashes, GoldenVectors.XxhCase[] Xxh64)
{
    internal sealed record BlockCase(string Model, int BlockSize, string CacheSalt, int[] Tokens, string[] Hashes);

    internal sealed record XxhCase(string Hex, string Xxh64);

    public static GoldenVectors Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Hashing", "golden", "block_hash_vectors.json");
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return JsonSerializer.Deserialize<GoldenVectors>(File.ReadAllText(path), options)
            ?? throw new InvalidOperationException($"{path} is empty.");
    }
}
