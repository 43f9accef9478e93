namespace Cluster.Router.Batch;

/// <summary>How batch requests are ordered and grouped (<c>Batch:Scheduling</c>, or a batch's metadata key <c>scheduling</c>).</summary>
public static class BatchSchedulingModes
{
    /// <summary>Group by shared prefix, each group's first request alone, groups mixed by compute and memory (default).</summary>
    public const string PrefixGrouped = "prefix-grouped";

    /// <summary>The input file's order, no grouping (the benchmark's baseline).</summary>
    public const string FileOrder = "file-order";

    public static bool IsKnown(string mode) => mode is PrefixGrouped or FileOrder;
}

/// <summary>Options of section <c>Batch</c> (the OpenAI Batch API, src/Router/Batch/README.md).</summary>
public sealed class BatchOptions
{
    public const string SectionName = "Batch";

    /// <summary>Where files, batches and per-request results live without Redis; default a folder under the temp directory.</summary>
    public string StorageDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "cluster-batch");

    /// <summary>Largest uploaded file (413 past it).</summary>
    public long MaxFileBytes { get; set; } = 64L << 20;

    /// <summary>Most request lines in one batch input file.</summary>
    public int MaxRequestsPerBatch { get; set; } = 50_000;

    /// <summary>Batch requests in flight at once while no online request runs.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Batch requests in flight at once while online requests run at or above <see cref="OnlineInFlightThreshold"/> (0 = none: the batch waits).</summary>
    public int ConcurrencyUnderOnlineLoad { get; set; } = 1;

    /// <summary>Online requests in flight on this router at which the batch yields (drops to <see cref="ConcurrencyUnderOnlineLoad"/>).</summary>
    public int OnlineInFlightThreshold { get; set; } = 1;

    /// <summary>After the last online request ended, the batch stays at <see cref="ConcurrencyUnderOnlineLoad"/> this long (0 = ramp up at once).</summary>
    public TimeSpan OnlineGracePeriod { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary><see cref="BatchSchedulingModes"/>: prefix-grouped (default) or file-order.</summary>
    public string Scheduling { get; set; } = BatchSchedulingModes.PrefixGrouped;

    /// <summary>Attempts per request on an overload or unavailability answer (429 / 503) before it is an error line.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// The time a batch has to finish instead of the 24 h of <c>completion_window</c> "24h" (null: 24 h). For tests and
    /// short-lived deployments: a batch not finished by its <c>expires_at</c> ends <c>expired</c>.
    /// </summary>
    public TimeSpan? CompletionWindowOverride { get; set; }

    /// <summary>How long a finished batch's output and error files are kept before the executor deletes them (null: kept until <c>DELETE /v1/files/{id}</c>).</summary>
    public TimeSpan? ResultRetention { get; set; }

    /// <summary>The longest completion window (the expiry timer's range).</summary>
    public static readonly TimeSpan MaxCompletionWindow = TimeSpan.FromDays(30);

    /// <summary>The completion window new batches get.</summary>
    public TimeSpan EffectiveCompletionWindow => CompletionWindowOverride ?? TimeSpan.FromHours(24);

    /// <summary>Refuses values that cannot work, naming the setting.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(StorageDirectory))
        {
            yield return "Batch:StorageDirectory must name a folder.";
        }

        if (MaxFileBytes < 1)
        {
            yield return $"Batch:MaxFileBytes must be at least 1 (got {MaxFileBytes}).";
        }

        if (MaxRequestsPerBatch < 1)
        {
            yield return $"Batch:MaxRequestsPerBatch must be at least 1 (got {MaxRequestsPerBatch}).";
        }

        if (MaxConcurrency < 1 || ConcurrencyUnderOnlineLoad < 0 || ConcurrencyUnderOnlineLoad > MaxConcurrency)
        {
            yield return $"Batch:MaxConcurrency must be at least 1 and Batch:ConcurrencyUnderOnlineLoad between 0 and it (got {MaxConcurrency} and {ConcurrencyUnderOnlineLoad}).";
        }

        if (OnlineInFlightThreshold < 1)
        {
            yield return $"Batch:OnlineInFlightThreshold must be at least 1 (got {OnlineInFlightThreshold}).";
        }

        if (OnlineGracePeriod < TimeSpan.Zero)
        {
            yield return $"Batch:OnlineGracePeriod must not be negative (got {OnlineGracePeriod}).";
        }

        if (!BatchSchedulingModes.IsKnown(Scheduling))
        {
            yield return $"Batch:Scheduling '{Scheduling}' is not a mode: use {BatchSchedulingModes.PrefixGrouped} or {BatchSchedulingModes.FileOrder}.";
        }

        if (CompletionWindowOverride is { } window && (window < TimeSpan.FromSeconds(1) || window > MaxCompletionWindow))
        {
            yield return $"Batch:CompletionWindowOverride must be from 1 second to {MaxCompletionWindow.TotalDays:0} days (got {window}); leave it unset for 24 h.";
        }

        if (ResultRetention is { } retention && retention < TimeSpan.Zero)
        {
            yield return $"Batch:ResultRetention must not be negative (got {retention}); leave it unset to keep results until deleted.";
        }

        if (MaxAttempts < 1)
        {
            yield return $"Batch:MaxAttempts must be at least 1 (got {MaxAttempts}).";
        }
    }
}
