using System.Globalization;

namespace Cluster.Router.Tests.Api.Fuzz;

/// <summary>The fuzz seed: <c>ROUTER_FUZZ_SEED</c> to replay a failure, else a fresh one (every failure message prints it).</summary>
internal static class FuzzSeed
{
    public static int Get() =>
        int.TryParse(Environment.GetEnvironmentVariable("ROUTER_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
            ? seed
            : Random.Shared.Next();

    /// <summary>One input's own generator, so input <paramref name="index"/> is the same whatever order the inputs run in.</summary>
    public static Random For(int seed, int index) => new(HashCode.Combine(seed, index));
}
