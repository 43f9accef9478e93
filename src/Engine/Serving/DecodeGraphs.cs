using System.Diagnostics;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Torch;
using F = Cluster.Torch.torch.nn.functional;

namespace Cluster.Engine.Serving;

/// <summary>
/// CUDA graphs of the serving engine's decode-only steps: one per shape (batch-size bucket <see cref="BucketsFor"/> ×
/// block-table width <see cref="WidthsFor"/>), captured together at the first decode-only step, largest first, all in
/// the first graph's memory pool. A step of n decodes whose longest sequence spans k blocks runs the smallest bucket ≥ n
/// and the narrowest width ≥ k, padded (<see cref="FixedDecodeInputs"/>): its inputs are written into fixed device
/// buffers and that graph is replayed. Widths keep the paged kernel's key splits (chosen from the table width) close to
/// the eager step's for short sequences. A graph ends at the final norm ([bucket, hidden], a few MiB for all graphs);
/// the LM head runs after it, eagerly, on the n real rows only (as the eager step's does), then sampling. Any other step
/// runs eagerly (<see cref="Choose"/>). Capture failure is told once through the notice and leaves every step eager.
/// </summary>
internal sealed class DecodeGraphs(LlamaModel model, PagedKvStorage storage, int maxBatch) : IDisposable
{
    /// <summary>Keys of the narrowest block-table width (its key splits match the eager step's up to here).</summary>
    public const int MinWidthKeys = 512;

    private readonly Dictionary<(int Bucket, int Width), (CudaGraph Graph, Tensor Hidden)> _graphs = [];
    private FixedDecodeInputs? _inputs;
    private bool? _available;   // null until the first decode-only step asks (kernel built, capture succeeded)

    public DecodeGraphMode Mode { get; set; } = DecodeGraphMode.Off;

    /// <summary>Batch sizes with a graph (or a padded shape): up to the engine's largest decode step.</summary>
    public IReadOnlyList<int> Buckets { get; } = BucketsFor(maxBatch);

    /// <summary>Block-table columns of the fixed buffers: the longest sequence the model runs.</summary>
    public int MaxBlocks { get; } = (model.MaxPositions + storage.Layout.BlockSize - 1) / storage.Layout.BlockSize;

    /// <summary>Block-table widths with a graph: <see cref="MinWidthKeys"/> keys, doubling, and <see cref="MaxBlocks"/> last (<see cref="WidthsFor"/>).</summary>
    public IReadOnlyList<int> Widths { get; private set; } = WidthsFor((model.MaxPositions + storage.Layout.BlockSize - 1) / storage.Layout.BlockSize,
        (MinWidthKeys + storage.Layout.BlockSize - 1) / storage.Layout.BlockSize);

    /// <summary>Sets the narrowest width (tests: several widths on a short model); before the first padded step only.</summary>
    internal void SetMinWidth(int blocks)
    {
        if (_inputs is not null) throw new InvalidOperationException("The widths are fixed once a padded step ran.");
        Widths = WidthsFor(MaxBlocks, blocks);
    }

    /// <summary>Told once, on the engine thread: graphs captured, or why steps stay eager.</summary>
    public Action<string>? Notice { get; set; }

    /// <summary>The last notice (null before any).</summary>
    public string? Status { get; private set; }

    /// <summary>1, 2, 4, 8, then every 8 to 64, then every 32, and <paramref name="maxBatch"/> itself last.</summary>
    public static int[] BucketsFor(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var buckets = new List<int>();
        for (var b = 1; b <= maxBatch;)
        {
            buckets.Add(b);
            b = b < 8 ? 2 * b : b < 64 ? b + 8 : b + 32;
        }
        if (buckets[^1] != maxBatch) buckets.Add(maxBatch);
        return [.. buckets];
    }

    /// <summary>
    /// <paramref name="minBlocks"/>, doubling while the double still fits <paramref name="maxBlocks"/>, then
    /// <paramref name="maxBlocks"/> (so no width sits just below the last: 32, 64, 129 rather than 32, 64, 128, 129).
    /// </summary>
    public static int[] WidthsFor(int maxBlocks, int minBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minBlocks, 1);
        var widths = new List<int>();
        for (var w = minBlocks; 2L * w <= maxBlocks; w *= 2) widths.Add(w);
        widths.Add(maxBlocks);
        return [.. widths];
    }

    /// <summary>The smallest bucket (or width) holding <paramref name="count"/> rows (or blocks), or null past the largest.</summary>
    public static int? BucketOf(IReadOnlyList<int> buckets, int count)
    {
        foreach (var b in buckets)
        {
            if (b >= count) return b;
        }
        return null;
    }

    /// <summary>How a step of <paramref name="chunks"/> runs and, for the padded paths, its shape (bucket rows × width blocks).</summary>
    public DecodePath Choose(IReadOnlyList<PagedChunk> chunks, PagedAttentionMode attention, bool observed, out DecodeShape shape)
    {
        shape = default;
        if (Mode == DecodeGraphMode.Off) return DecodePath.Off;
        if (Mode == DecodeGraphMode.On && !model.Device.IsCuda) return DecodePath.NotCuda;
        if (attention != PagedAttentionMode.DecodeKernel) return DecodePath.NotDecodeKernel;
        if (observed) return DecodePath.LayerObserver;
        if (chunks.Any(c => c.Tokens.Count != 1)) return DecodePath.NotDecodeOnly;
        var blocks = chunks.Max(c => (c.End + storage.Layout.BlockSize - 1) / storage.Layout.BlockSize);
        if (BucketOf(Widths, blocks) is not { } w) return DecodePath.NotDecodeOnly;
        if (BucketOf(Buckets, chunks.Count) is not { } b) return DecodePath.OutsideBuckets;
        if (Mode == DecodeGraphMode.On && _available == false) return DecodePath.Unavailable;
        shape = new DecodeShape(b, w);
        return Mode == DecodeGraphMode.On ? DecodePath.Graph : DecodePath.PaddedEager;
    }

    /// <summary>
    /// Logits [n, vocab] of the decodes <paramref name="chunks"/> (n ≤ the shape's bucket), padded to <paramref name="shape"/>:
    /// replayed from its graph when <paramref name="path"/> is <see cref="DecodePath.Graph"/> and capture works (else
    /// eagerly, and <paramref name="path"/> says so).
    /// <paramref name="written"/>: called once the inputs are on the device (the profile's pack phase ends there).
    /// </summary>
    public Tensor Run(IReadOnlyList<PagedChunk> chunks, DecodeShape shape, ref DecodePath path, Action written)
    {
        if (path == DecodePath.Graph && !EnsureCaptured()) path = DecodePath.PaddedEager;
        var inputs = Inputs();
        inputs.Write(chunks, shape.Bucket, shape.Width);
        written();
        if (path == DecodePath.Graph)
        {
            var (graph, hidden) = _graphs[(shape.Bucket, shape.Width)];
            graph.Replay();
            return model.Logits(hidden.narrow(0, 0, chunks.Count));                       // [n, vocab]
        }
        using var batch = inputs.Batch(shape.Bucket, shape.Width);
        return model.Logits(model.HiddenPaged(batch, storage).narrow(0, 0, chunks.Count));   // [n, vocab]
    }

    private FixedDecodeInputs Inputs() =>
        _inputs ??= new FixedDecodeInputs(Buckets[^1], MaxBlocks, storage.Layout.BlockSize, storage.ScratchSlot, model.Device);

    // Captures every shape once (widest, then largest first; one shared memory pool), each after an eager warm-up of its
    // shape on padding only (which writes nothing but the scratch slot). False, told once, when the kernel is missing or
    // capture fails.
    private bool EnsureCaptured()
    {
        if (_available is { } known) return known;
        _available = false;
        using (var scope = torch.NewDisposeScope())
        {
            var probe = torch.zeros([1, model.Config.NumHeads, model.Config.HeadDim], model.DType, model.Device);
            if (!F.paged_decode_attention_is_fused(probe, storage.SlotKeys(0)))
            {
                Tell($"CUDA graphs off: the paged decode kernel does not run this model here ({model.DType}, head dim {model.Config.HeadDim}); decode steps run eagerly");
                return false;
            }
        }
        var inputs = Inputs();
        var started = Stopwatch.GetTimestamp();
        CudaGraph? pool = null;
        try
        {
            foreach (var (b, w) in Widths.Reverse().SelectMany(w => Buckets.Reverse().Select(b => (b, w))))
            {
                inputs.Write([], b, w);
                using (var warm = torch.NewDisposeScope())
                {
                    using var batch = inputs.Batch(b, w);
                    model.HiddenPaged(batch, storage);
                }
                var graph = new CudaGraph();
                Tensor? hidden = null;
                try
                {
                    graph.CaptureBegin(model.Device.Index, pool);
                    try
                    {
                        using var batch = inputs.Batch(b, w);
                        hidden = model.HiddenPaged(batch, storage).DetachFromDisposeScope();   // [b, hidden]
                    }
                    finally
                    {
                        graph.CaptureEnd();
                    }
                }
                catch
                {
                    hidden?.Dispose();
                    graph.Dispose();
                    throw;
                }
                _graphs[(b, w)] = (graph, hidden);
                pool ??= graph;
            }
            torch.cuda.synchronize(model.Device);
        }
        catch (TorchException e)
        {
            DisposeGraphs();
            Tell($"CUDA graphs off: capture failed ({e.Message}); decode steps run eagerly");
            return false;
        }
        _available = true;
        Tell($"CUDA graphs: captured {_graphs.Count} decode graphs in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms: batch sizes {string.Join(",", Buckets)} × " +
            $"block-table widths {string.Join(",", Widths)} (blocks of {storage.Layout.BlockSize})");
        return true;
    }

    private void Tell(string message)
    {
        Status = message;
        Notice?.Invoke(message);
    }

    private void DisposeGraphs()
    {
        foreach (var (graph, hidden) in _graphs.Values)
        {
            graph.Dispose();
            hidden.Dispose();
        }
        _graphs.Clear();
    }

    public void Dispose()
    {
        DisposeGraphs();
        _inputs?.Dispose();
    }
}

/// <summary>A padded decode step's shape: <paramref name="Bucket"/> rows, block tables <paramref name="Width"/> blocks wide.</summary>
internal readonly record struct DecodeShape(int Bucket, int Width);
