using Cluster.Core.Generation;
using System.Diagnostics;
using System.Globalization;
using Cluster.Core.Ids;
using Cluster.KvTransfer.Client;
using Cluster.Engine.KvCache;
using Cluster.Engine.Sampling;
using Cluster.Engine.Serving;
using Cluster.Worker.KvEngine;
using Cluster.Torch;

namespace Cluster.Cli.Bench;

/// <summary>
/// The KV cache's own export/import path (PagedKvStorage through <see cref="HostStaging"/>, pinned on CUDA) over a
/// prompt's blocks, as one range and in push-sized chunks: the figures to set beside the pinned and pageable copies of
/// the same run. Writes back the bytes it read (blocks keep their content).
/// </summary>
internal static class KvStagingBench
{
    public static async Task PrintAsync(InferenceEngine engine, int tokens, int chunkBytes, int vocab, int repeat = 4)
    {
        var storage = engine.Storage;
        if (storage.Device.IsCuda) Print(storage, storage.Layout.BlocksFor(tokens), chunkBytes, repeat);
        Console.WriteLine($"KV streaming slabs bit-exact on {storage.Device}: {await VerifyStreamingAsync(engine, tokens, chunkBytes, vocab)}");
    }

    // A streaming prefill's chunks (layer slabs copied through pinned staging while later layers compute) against the
    // same ranges exported from the cache once the prefill has finished.
    private static async Task<string> VerifyStreamingAsync(InferenceEngine engine, int tokens, int chunkBytes, int vocab)
    {
        var random = new Random(7);
        var id = RequestId.New();
        int[] prompt = [.. Enumerable.Range(0, tokens).Select(_ => random.Next(Math.Min(vocab, 32000)))];
        using var streaming = StreamingPrefill.Start(engine, id, prompt, new GenerationParameters { MaxTokens = 1, IgnoreEos = true }, "staging-check", chunkBytes);
        var chunks = new List<(KvChunkRange Range, byte[] Bytes)>();
        await foreach (var chunk in streaming.Push.Source(0, CancellationToken.None)) chunks.Add((chunk.Range, chunk.Data.ToArray()));
        await streaming.Handle.Completion;
        try
        {
            foreach (var (r, bytes) in chunks)
            {
                var expected = new byte[bytes.Length];
                engine.ExportKv(id, r.LayerStart, r.LayerCount, r.BlockStart, r.BlockCount, expected);
                if (!expected.AsSpan().SequenceEqual(bytes)) return $"NO: chunk layer {r.LayerStart} blocks [{r.BlockStart}, +{r.BlockCount}) differs";
            }
            return $"yes ({chunks.Count} chunks)";
        }
        finally
        {
            engine.ReleaseKv(id);
        }
    }

    private static void Print(PagedKvStorage storage, int blocks, int chunkBytes, int repeat)
    {
        var layout = storage.Layout;
        var all = Enumerable.Range(0, blocks).Select(b => new KvBlockId(b)).ToArray();
        var bytes = layout.RangeBytes(layout.Layers, blocks);
        var perChunk = (int)Math.Clamp(chunkBytes / layout.BlockLayerBytes, 1, blocks);
        var chunks = (from l in Enumerable.Range(0, layout.Layers)
                      from b in Enumerable.Range(0, (blocks + perChunk - 1) / perChunk)
                      select (Layer: l, Blocks: all.Skip(b * perChunk).Take(perChunk).ToArray())).ToArray();
        using var whole = HostStaging.Allocate((int)bytes, storage.Device);
        using var chunk = HostStaging.Allocate((int)layout.RangeBytes(1, perChunk), storage.Device);
        var managed = new byte[layout.RangeBytes(1, perChunk)];

        var downWhole = Best(repeat, () => storage.Export(layout, 0, layout.Layers, all, whole));
        var upWhole = Best(repeat, () => storage.Import(layout, 0, layout.Layers, all, whole), storage.Device);
        var downChunks = Best(repeat, () =>
        {
            foreach (var (layer, range) in chunks) storage.Export(layout, layer, 1, range, chunk);
        });
        var upChunks = Best(repeat, () =>
        {
            foreach (var (layer, range) in chunks)
            {
                var n = (int)layout.RangeBytes(1, range.Length);
                storage.Export(layout, layer, 1, range, managed.AsSpan(0, n));   // the decode side gets managed bytes
                storage.Import(layout, layer, 1, range, managed.AsSpan(0, n));
            }
        }, storage.Device);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"KV export/import through pinned staging ({bytes / 1048576} MiB, best of {repeat}): device→host {bytes / downWhole / 1e9:F1} GB/s as one range, " +
            $"{bytes / downChunks / 1e9:F1} GB/s in {chunks.Length} chunks of {layout.RangeBytes(1, perChunk) / 1024} KiB; host→device {bytes / upWhole / 1e9:F1} GB/s as one range; " +
            $"export + import of managed chunks (the decode side's path, both directions) {bytes / upChunks / 1e9:F1} GB/s"));
        Console.WriteLine($"KV staging bit-exact on {storage.Device}: {Verify(storage, all, whole)}");
    }

    // The staged export against index_select + a pageable copy of the first and last layers; an import of random bytes
    // (in chunks through the cache's own staging) exported back unchanged; then the cache's bytes are put back.
    private static string Verify(PagedKvStorage storage, KvBlockId[] all, HostStaging whole)
    {
        var layout = storage.Layout;
        var n = storage.Export(layout, 0, layout.Layers, all, whole);
        var saved = whole.Memory[..n].ToArray();
        using var index = torch.tensor(all.Select(b => (long)b.Value).ToArray(), storage.Device);
        var layerBytes = (int)layout.RangeBytes(1, all.Length);
        foreach (var layer in new[] { 0, layout.Layers - 1 })
        {
            using var scope = torch.NewDisposeScope();
            var keys = storage.SlotKeys(layer).view(-1, layout.BlockSize, layout.KvHeads, layout.HeadDim).index_select(0, index);
            var values = storage.SlotValues(layer).view(-1, layout.BlockSize, layout.KvHeads, layout.HeadDim).index_select(0, index);
            var reference = new byte[layerBytes];
            keys.CopyTo(reference.AsSpan(0, layerBytes / 2));
            values.CopyTo(reference.AsSpan(layerBytes / 2));
            if (!reference.AsSpan().SequenceEqual(saved.AsSpan(layer * layerBytes, layerBytes))) return $"NO: layer {layer} differs from index_select + copy";
        }
        var random = new byte[n];
        new Random(1).NextBytes(random);
        storage.Import(layout, 0, layout.Layers, all, random);
        var back = storage.Export(layout, 0, layout.Layers, all, whole);
        var same = whole.Memory[..back].Span.SequenceEqual(random);
        storage.Import(layout, 0, layout.Layers, all, saved);
        return same ? "yes (export = index_select + copy; import → export of random bytes unchanged)" : "NO: random bytes imported and exported back differ";
    }

    private static double Best(int repeat, Action run, Device? synchronize = null)
    {
        var best = double.MaxValue;
        for (var i = 0; i < repeat; i++)
        {
            var w = Stopwatch.StartNew();
            run();
            if (synchronize is { } d) torch.cuda.synchronize(d);   // an import's scatter may still run on the compute stream
            best = Math.Min(best, w.Elapsed.TotalSeconds);
        }
        return best;
    }
}
