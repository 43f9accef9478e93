using Cluster.Core.Kv;

namespace Cluster.KvTransfer.Client;

/// <summary>What a prefill worker pushes: a ticket issued by the decode worker and the KV it covers.</summary>
/// <param name="Ticket">From the decode worker's Reserve.</param>
/// <param name="Model">The model both workers serve.</param>
/// <param name="Layout">The sender's KV layout (must equal the receiver's).</param>
/// <param name="Tokens">Prompt tokens whose KV is pushed.</param>
/// <param name="Source">
/// The chunks in a fixed order, starting at the given chunk sequence number: called with 0 first and, after a broken
/// stream, with the first sequence the receiver has not committed. Chunks may be produced as prefill computes them.
/// </param>
public sealed record KvPushRequest(
    string Ticket,
    string Model,
    KvCacheLayout Layout,
    int Tokens,
    Func<uint, CancellationToken, IAsyncEnumerable<KvChunkData>> Source)
{
    /// <summary>
    /// The same chunks (same order and numbering) with their bytes left on the device where they are
    /// (<see cref="KvChunkData.Device"/>), for a push through a CUDA IPC ring; null: the push never proposes one.
    /// </summary>
    public Func<uint, CancellationToken, IAsyncEnumerable<KvChunkData>>? DeviceSource { get; init; }
}
