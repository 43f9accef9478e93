namespace Cluster.Hosting.Telemetry;

/// <summary>
/// Explicit histogram buckets (ARCHITECTURE §9). OpenTelemetry's defaults (0, 5, 10, 25 … 10000) are meant for
/// milliseconds: on second-valued histograms a 0.12 s TTFT lands in the first finite bucket and every quantile reads
/// as ≈ 5 s. Every histogram the cluster records gets one of these, by unit.
/// </summary>
public static class HistogramBuckets
{
    /// <summary>Durations in seconds, 0.5 ms … 2 min: fine below 1 s (TPOT, steps, lookups), coarse above (requests).</summary>
    public static readonly double[] Seconds =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 20, 30, 60, 120];

    /// <summary>Token counts (prompt and output lengths, tokens per step), powers of two 1 … 128 Ki.</summary>
    public static readonly double[] Tokens =
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

    /// <summary>Sizes in bytes, 1 KiB … 4 GiB by factors of 4.</summary>
    public static readonly double[] Bytes =
        [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296];

    /// <summary>The buckets for a histogram of <paramref name="unit"/>, or null when the unit is not one of ours.</summary>
    public static double[]? ForUnit(string? unit) => unit switch
    {
        "s" => Seconds,
        "{token}" => Tokens,
        "By" => Bytes,
        _ => null,
    };
}
