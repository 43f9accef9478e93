using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;
using Cluster.Torch;

namespace Cluster.Engine.Serving;

/// <summary>KV streaming: a prefill-role request publishes each layer's KV as soon as a step has computed it.</summary>
public sealed partial class InferenceEngine
{
    private readonly Lock _streamGate = new();
    private readonly Dictionary<RequestId, LayerStream> _layerStreams = [];   // guarded by _streamGate

    /// <summary>
    /// <see cref="Submit(EngineRequest, CancellationToken)"/> for a prefill-role engine, with <paramref name="sink"/>
    /// receiving each layer's KV of the request's tokens (prompt, then any output generated before) during the step that
    /// computes it (so the KV can travel while later layers and chunks compute). The KV is also kept for
    /// <see cref="ExportKv"/> until <see cref="ReleaseKv"/>, as for any prefill request.
    /// </summary>
    public RequestHandle SubmitStreaming(EngineRequest request, IKvLayerSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sink);
        var id = request.Id;
        if (Role != EngineRole.Prefill) throw new InvalidOperationException("KV streaming publishes a prefill-role request's KV; this engine's role is " + Role + ".");
        lock (_streamGate)
        {
            if (!_layerStreams.TryAdd(id, new LayerStream(sink, Storage.Layout.Layers)))
            {
                throw new InvalidOperationException($"Request {id} already streams its KV.");
            }
        }
        RequestHandle handle;
        try
        {
            handle = Submit(request, cancellationToken);
        }
        catch
        {
            lock (_streamGate) _layerStreams.Remove(id);
            throw;
        }
        // Every layer was published by the step that ended the prompt, before the handle completed.
        handle.Completion.ContinueWith(_ => { lock (_streamGate) _layerStreams.Remove(id); }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return handle;
    }

    // The step's per-layer call-out: null (no cost) unless a scheduled chunk belongs to a streaming request.
    private Action<int>? LayerObserver(IReadOnlyList<ScheduledChunk> chunks)
    {
        List<(ScheduledChunk Chunk, LayerStream Stream)>? streaming = null;
        lock (_streamGate)
        {
            if (_layerStreams.Count == 0) return null;
            foreach (var chunk in chunks)
            {
                if (_layerStreams.TryGetValue(chunk.Sequence.Id, out var stream)) (streaming ??= []).Add((chunk, stream));
            }
        }
        if (streaming is null) return null;
        // Index tensors built here, before the forward pass: made inside it, each host→device copy would wait for the
        // layers queued so far. Every layer normally publishes the same block range in a step.
        var plans = streaming.Select(s =>
        {
            var ready = ReadyBlocks(s.Chunk);
            var blocks = Kv.GetBlocks(s.Chunk.Sequence.Id).Select(b => (long)b.Value).ToArray();
            var start = s.Stream.Published[0];
            var index = ready > start ? torch.tensor(blocks[start..ready], Storage.Device).DetachFromDisposeScope() : null;   // [n]
            return (s.Stream, Ready: ready, Blocks: blocks, Start: start, Index: index);
        }).ToArray();
        return layer =>
        {
            foreach (var (stream, ready, blocks, start, index) in plans)
            {
                var from = stream.Published[layer];
                if (ready <= from) continue;
                stream.Published[layer] = ready;
                stream.Sink.LayerReady(from == start && index is not null
                    ? Stage(layer, from, ready - from, index)
                    : StageFresh(layer, from, blocks[from..ready]));
                if (layer == Storage.Layout.Layers - 1) index?.Dispose();
            }
        };
    }

    // Blocks whose KV is complete once this chunk is computed: full blocks, and the last partial one when the prompt ends.
    private int ReadyBlocks(ScheduledChunk chunk)
    {
        var end = Math.Min(chunk.Start + chunk.Count, chunk.Sequence.PromptLength);
        var blockSize = Storage.Layout.BlockSize;
        return end == chunk.Sequence.PromptLength ? (end + blockSize - 1) / blockSize : end / blockSize;
    }

    private KvLayerSlab StageFresh(int layer, int blockStart, long[] physicalBlocks)
    {
        using var index = torch.tensor(physicalBlocks, Storage.Device);                                          // [n]
        return Stage(layer, blockStart, physicalBlocks.Length, index);
    }

    // Gathers the layer's blocks into tensors of their own (queued on the compute stream on CUDA), kept past the step's scope.
    private KvLayerSlab Stage(int layer, int blockStart, int count, Tensor index)
    {
        var layout = Storage.Layout;
        using var slotKeys = Storage.SlotKeys(layer);                                                              // [S, Hkv, D]
        using var slotValues = Storage.SlotValues(layer);                                                          // [S, Hkv, D]
        using var keys = slotKeys.view(-1, layout.BlockSize, layout.KvHeads, layout.HeadDim);                      // [blocks, blockSize, Hkv, D]
        using var values = slotValues.view(-1, layout.BlockSize, layout.KvHeads, layout.HeadDim);                  // [blocks, blockSize, Hkv, D]
        var stagedKeys = keys.index_select(0, index).DetachFromDisposeScope();                                     // [n, blockSize, Hkv, D]
        var stagedValues = values.index_select(0, index).DetachFromDisposeScope();                                 // [n, blockSize, Hkv, D]
        return new KvLayerSlab(layout, layer, blockStart, count, stagedKeys, stagedValues);
    }

    private sealed class LayerStream(IKvLayerSink sink, int layers)
    {
        public IKvLayerSink Sink { get; } = sink;

        /// <summary>Per layer, the blocks already published (a prefix of the request's block table).</summary>
        public int[] Published { get; } = new int[layers];
    }
}
