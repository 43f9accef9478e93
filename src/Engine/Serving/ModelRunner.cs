using Cluster.Core.Generation;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;
using Cluster.Torch;

namespace Cluster.Engine.Serving;

/// <summary>
/// Runs one scheduled step: packs the chunks, runs the model over the paged cache (a decode-only step from a CUDA graph
/// when <see cref="Graphs"/> allows), samples where a chunk ends a sequence.
/// </summary>
internal sealed class ModelRunner(LlamaModel model, PagedKvStorage storage, KvCacheManager kv, int maxDecodeBatch) : IDisposable
{
    /// <summary>Per-phase timings of the steps run so far.</summary>
    public StepProfile Profile { get; } = new();

    /// <summary>CUDA graphs of decode-only steps (off until the engine sets their mode).</summary>
    public DecodeGraphs Graphs { get; } = new(model, storage, maxDecodeBatch);

    /// <summary>The path the last step took.</summary>
    public DecodePath LastPath { get; private set; }

    /// <summary>How the forward pass attends over the paged cache.</summary>
    public PagedAttentionMode AttentionMode { get; set; } = PagedAttentionMode.DecodeKernel;

    /// <summary>The chunks' tokens and a copy of their block tables (call under the engine's lock).</summary>
    public IReadOnlyList<PagedChunk> Pack(IReadOnlyList<ScheduledChunk> chunks) =>
        [.. chunks.Select(c => new PagedChunk(c.Sequence.Tokens.GetRange(c.Start, c.Count), c.Start, [.. kv.GetBlocks(c.Sequence.Id).Select(b => b.Value)]))];

    /// <summary>
    /// The sampled (token, log-probability) of each chunk that reaches its sequence's end, else null. Reads no block
    /// table (<paramref name="paged"/> holds copies), so it may run outside the engine's lock.
    /// <paramref name="layerComputed"/>: called on this thread with each layer's index once its K/V are in the cache.
    /// </summary>
    public (int Token, float LogProb)?[] Run(IReadOnlyList<ScheduledChunk> chunks, IReadOnlyList<PagedChunk> paged, Action<int>? layerComputed = null)
    {
        Profile.Start(out var start);
        using var scope = torch.NewDisposeScope();
        var path = Graphs.Choose(paged, AttentionMode, layerComputed is not null, out var shape);
        var padded = path is DecodePath.Graph or DecodePath.PaddedEager;
        using var batch = padded ? null : PagedAttentionBatch.Create(paged, storage.Layout.BlockSize, model.Device, AttentionMode);
        long packed = 0;
        Tensor logits;                                                                      // [C, vocab]
        if (batch is null)
        {
            logits = Graphs.Run(paged, shape, ref path, () => packed = Checkpoint());
        }
        else
        {
            packed = Checkpoint();
            logits = model.ForwardPaged(batch, storage, layerComputed);
        }
        var forwarded = Checkpoint();
        LastPath = path;
        var results = new (int, float)?[chunks.Count];
        var greedy = Enumerable.Range(0, chunks.Count).Where(c => chunks[c].Samples && Plain(chunks[c].Sequence.Parameters)).ToList();
        if (greedy.Count > 0)
        {
            // One device→host copy for every plain greedy row: argmax and its log-probability.
            var tokens = logits.argmax(1, keepdim: true);                                  // [C, 1]
            var logProbs = logits.log_softmax(1).gather(1, tokens);                        // [C, 1]
            var ids = tokens.data<long>();
            var lp = logProbs.data<float>();
            foreach (var c in greedy) results[c] = ((int)ids[c], lp[c]);
        }
        for (var c = 0; c < chunks.Count; c++)
        {
            if (!chunks[c].Samples || results[c] is not null) continue;
            var sequence = chunks[c].Sequence;
            // Made at the sequence's first sample here: output generated before (elsewhere) counts as output.
            sequence.Sampler ??= new Sampler(sequence.Parameters, model.Config.VocabSize, model.Device,
                sequence.Tokens.GetRange(0, sequence.OutputStart), sequence.Tokens.GetRange(sequence.OutputStart, sequence.Tokens.Count - sequence.OutputStart));
            results[c] = sequence.Sampler.Sample(logits.select(0, c));                     // [vocab]
        }
        // A step ends with its kernels done (sampling read tokens back; else wait here): blocks the step used may be freed
        // and handed to a KV import on another stream right after it (KvCache/README.md).
        if (model.Device.IsCuda && !chunks.Any(c => c.Samples)) torch.cuda.synchronize(model.Device);
        Profile.Record(chunks.Count, paged.Count(p => p.Tokens.Count == 1), paged.Sum(p => p.Tokens.Count), start, packed, forwarded, path, shape.Bucket);
        return results;
    }

    public void Dispose() => Graphs.Dispose();

    private long Checkpoint()
    {
        if (Profile.Synchronize) torch.cuda.synchronize(model.Device);
        return System.Diagnostics.Stopwatch.GetTimestamp();
    }

    // Greedy without penalties: the argmax of the raw logits.
    private static bool Plain(GenerationParameters p) =>
        p.IsGreedy && p.RepetitionPenalty == 1 && p.PresencePenalty == 0 && p.FrequencyPenalty == 0;
}
