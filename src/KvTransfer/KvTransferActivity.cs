using System.Diagnostics;

namespace Cluster.KvTransfer;

/// <summary>
/// The KV transfer's ActivitySource (<c>Cluster.KvTransfer</c>): <c>kv_transfer.push</c> on the sender (prefill worker)
/// and <c>kv_transfer.receive</c> on the receiver (decode worker), joined by <c>traceparent</c> in the Push call's metadata.
/// </summary>
public static class KvTransferActivity
{
    public const string SourceName = "Cluster.KvTransfer";

    public static readonly ActivitySource Source = new(SourceName);
}
