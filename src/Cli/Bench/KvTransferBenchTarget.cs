using Cluster.Core.Ids;
using Cluster.Core.Kv;
using Cluster.KvTransfer;

namespace Cluster.Cli.Bench;

/// <summary>
/// The receiving cache of <c>bench kv-transfer</c>: accepts every reservation and copies each chunk into a reused
/// destination buffer (the memcpy a real import does), so the figure includes the write into the cache.
/// </summary>
internal sealed class KvTransferBenchTarget(KvCacheLayout layout, int maxChunkBytes) : IKvImportTarget
{
    private readonly ThreadLocal<byte[]> _destination = new(() => new byte[maxChunkBytes]);

    public string Model => "bench";

    public KvCacheLayout Layout => layout;

    public int? TryReserve(RequestId request, int tokens) => layout.BlocksFor(tokens);

    public void Write(RequestId request, int layerStart, int layerCount, int blockStart, int blockCount, ReadOnlySpan<byte> data)
    {
        var destination = _destination.Value!;
        for (var offset = 0; offset < data.Length; offset += destination.Length)
        {
            var part = data.Slice(offset, Math.Min(destination.Length, data.Length - offset));
            part.CopyTo(destination);
        }
    }

    public void Release(RequestId request)
    {
    }
}
