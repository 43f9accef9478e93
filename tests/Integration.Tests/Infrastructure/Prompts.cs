namespace Cluster.Integration.Tests.Infrastructure;

/// <summary>Deterministic token-id prompts over the tiny model's byte vocabulary (ids 0–255).</summary>
internal static class Prompts
{
    /// <summary><paramref name="length"/> ids derived from <paramref name="seed"/>: different seeds share no prefix block.</summary>
    public static int[] Make(int seed, int length)
    {
        var random = new Random(seed);
        var ids = new int[length];
        for (var i = 0; i < length; i++)
        {
            ids[i] = random.Next(32, 127);
        }

        return ids;
    }

    /// <summary><paramref name="prefix"/> followed by <paramref name="suffixLength"/> ids from <paramref name="seed"/>.</summary>
    public static int[] WithPrefix(int[] prefix, int seed, int suffixLength) => [.. prefix, .. Make(seed, suffixLength)];
}
