namespace Cluster.KvTransfer;

/// <summary>KV-transfer settings (configuration section <c>KvTransfer</c>).</summary>
public sealed class KvTransferOptions
{
    public const string SectionName = "KvTransfer";

    /// <summary>Default lease of a reservation: 30 s.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(30);

    /// <summary>Default largest chunk payload: 1 MiB (well under the 4 MiB default message limit).</summary>
    public const int DefaultMaxChunkBytes = 1024 * 1024;

    /// <summary>How long a reservation lives without being renewed, pushed to or handed to decode.</summary>
    public TimeSpan Lease { get; set; } = DefaultLease;

    /// <summary>Largest chunk payload a sender produces.</summary>
    public int MaxChunkBytes { get; set; } = DefaultMaxChunkBytes;

    /// <summary>Times a sender re-opens a broken push stream (resuming from the last committed chunk) before giving up.</summary>
    public int MaxResumeAttempts { get; set; } = 3;
}
