using System.Text;
using System.Text.Json.Nodes;
using Cluster.Torch;

namespace Cluster.Engine.Weights;

/// <summary>
/// Writes a .safetensors file whose tensor bytes are produced in chunks by a callback, in parallel, so that
/// multi-gigabyte files stream through a bounded buffer.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>Fills <c>dest</c> with elements [first, first + count) of tensor <c>entry</c>, in its dtype.</summary>
    public delegate void Producer(int entry, long first, int count, Span<byte> dest);

    public sealed record Entry(string Name, ScalarType DType, long[] Shape)
    {
        public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
        public long Bytes => Elements * DType.ElementSize();
    }

    private const int ChunkElements = 1 << 20;

    public static void Write(string path, IReadOnlyList<Entry> entries, Producer produce, Action<long>? progressBytes = null)
    {
        var header = BuildHeader(entries);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        file.Write(BitConverter.GetBytes((long)header.Length));
        file.Write(header);
        var chunks = new List<(int Entry, long First, int Count)>();
        for (var e = 0; e < entries.Count; e++)
        {
            for (long first = 0; first < entries[e].Elements; first += ChunkElements)
            {
                chunks.Add((e, first, (int)Math.Min(ChunkElements, entries[e].Elements - first)));
            }
        }
        var window = Math.Max(2, Environment.ProcessorCount * 2);
        var buffers = new byte[window][];
        for (var start = 0; start < chunks.Count; start += window)
        {
            var n = Math.Min(window, chunks.Count - start);
            Parallel.For(0, n, i =>
            {
                var (e, first, count) = chunks[start + i];
                var size = count * entries[e].DType.ElementSize();
                if (buffers[i] is null || buffers[i].Length < size) buffers[i] = new byte[ChunkElements * 8];
                produce(e, first, count, buffers[i].AsSpan(0, size));
            });
            for (var i = 0; i < n; i++)
            {
                var (e, _, count) = chunks[start + i];
                var size = count * entries[e].DType.ElementSize();
                file.Write(buffers[i], 0, size);
                progressBytes?.Invoke(size);
            }
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<Entry> entries)
    {
        var json = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (var e in entries)
        {
            json[e.Name] = new JsonObject
            {
                ["dtype"] = SafeTensorInfo.FormatDType(e.DType),
                ["shape"] = new JsonArray(e.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + e.Bytes),
            };
            offset += e.Bytes;
        }
        var text = json.ToJsonString();
        var padded = text.Length % 8 == 0 ? text : text + new string(' ', 8 - text.Length % 8);
        return Encoding.UTF8.GetBytes(padded);
    }
}
