using Cluster.Core.Generation;
using System.Threading.Channels;
using Cluster.Core.Ids;
using Cluster.Engine.KvCache;
using Cluster.Engine.Model;
using Cluster.Engine.Sampling;
using Cluster.Engine.Scheduling;

namespace Cluster.Engine.Serving;

/// <summary>
/// The serving engine: a paged KV cache, a continuous-batching scheduler and a model runner, driven by one loop
/// (<see cref="RunAsync"/>, or <see cref="Step"/> from a test) that alone touches their state. Other threads submit
/// and cancel through a channel. The engine's lock guards the block tables and the sequences' state; a step holds it
/// while it schedules and while it hands out results, never during the forward pass, so KV reservations, imports and
/// exports proceed while the model runs (src/Engine/KvCache/README.md).
/// </summary>
public sealed partial class InferenceEngine : IDisposable
{
    private readonly Channel<EngineCommand> _commands = Channel.CreateUnbounded<EngineCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<RequestId, EngineSequence> _live = [];
    private readonly Scheduler _scheduler;
    private readonly ModelRunner _runner;
    private readonly LlamaModel _model;
    private readonly object _sync = new();
    private readonly Lock _stepGate = new();   // one step at a time (the loop, or a test calling Step)
    private readonly object _postGate = new();
    private Exception? _fault;
    private long _arrivals;
    private long _steps;
    private long _computedTokens;
    private long _generatedTokens;
    private long _cachedTokens;
    private int _peakUsedBlocks;

    public InferenceEngine(LlamaModel model, ModelId modelId, EngineOptions options, KvCacheOptions kvOptions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _model = model;
        Role = options.ParsedRole;
        ModelId = modelId;
        Storage = PagedKvStorage.Allocate(model.Config, kvOptions, model.DType, model.Device, model.Weights.Bytes);
        Kv = new KvCacheManager(new BlockPool(Storage.Blocks), modelId, Storage.Layout.BlockSize);
        _scheduler = new Scheduler(Kv, options);
        _runner = new ModelRunner(model, Storage, Kv, Math.Min(options.MaxSequences, options.MaxBatchTokens));
        _runner.Graphs.Mode = options.CudaGraphs ? DecodeGraphMode.On : DecodeGraphMode.Off;
        Import = new KvImportPort(this);
    }

    public EngineRole Role { get; }
    public ModelId ModelId { get; }
    public PagedKvStorage Storage { get; }

    /// <summary>The block tables and prefix cache (touch only under the engine's lock).</summary>
    public KvCacheManager Kv { get; }

    /// <summary>The decode side of KV transfer: reservations written in the byte layout of <see cref="Storage"/>.</summary>
    public KvImportPort Import { get; }

    internal object Sync => _sync;

    public EngineStats Stats
    {
        get
        {
            lock (_sync) return new EngineStats(_steps, _computedTokens, _cachedTokens, _scheduler.Preemptions, Kv.Pool.UsedBlocks, Kv.Pool.TotalBlocks, _peakUsedBlocks, _generatedTokens);
        }
    }

    /// <summary>
    /// Queues a request. Throws <see cref="ArgumentException"/> before any work when the prompt is empty, longer than
    /// the model's positions, or its tokens cannot fit the whole cache. A decode-role engine takes prompts too (a short
    /// uncached prompt, a migrated request): it computes them locally like a colocated one.
    /// </summary>
    public RequestHandle Submit(RequestId id, IReadOnlyList<int> prompt, GenerationParameters parameters, CancellationToken cancellationToken = default) =>
        Submit(new EngineRequest(id, prompt, parameters), cancellationToken);

    /// <summary>
    /// <see cref="Submit(RequestId, IReadOnlyList{int}, GenerationParameters, CancellationToken)"/> with the request's cache
    /// salt and the output it generated before (computed here after the prompt, counted as output by sampling).
    /// </summary>
    public RequestHandle Submit(EngineRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var sequence = NewSequence(request, request.AllTokens());
        Post(new EngineCommand.Add(sequence), sequence, cancellationToken);
        return sequence.Handle;
    }

    /// <summary>
    /// Starts decoding a request whose prompt KV was written into its reservation (<see cref="KvImportPort"/>);
    /// <paramref name="firstToken"/> is the token the prefill worker sampled. The reservation becomes the sequence's.
    /// </summary>
    public RequestHandle SubmitImported(RequestId id, IReadOnlyList<int> prompt, int firstToken, GenerationParameters parameters, CancellationToken cancellationToken = default) =>
        SubmitImported(new EngineRequest(id, prompt, parameters) { Generated = [firstToken] }, cancellationToken);

    /// <summary>
    /// Starts decoding a request whose KV was written into its reservation (<see cref="KvImportPort"/>): the reservation
    /// covers the prompt and every generated token but the last, which the prefill worker sampled (the handle emits it
    /// first, with a NaN log-probability). Its blocks join the prefix cache under the request's salt.
    /// </summary>
    public RequestHandle SubmitImported(EngineRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Role == EngineRole.Prefill) throw new InvalidOperationException("A prefill-role engine does not decode imported KV.");
        if (request.Generated.Count == 0) throw new ArgumentException("An imported request needs the prefill worker's first token as its last generated token.", nameof(request));
        var all = request.AllTokens();
        var sequence = NewSequence(request, all[..^1]);
        if (!Import.TryTake(request.Id, all.AsSpan(0, all.Length - 1), request.CacheSalt))
        {
            throw new InvalidOperationException($"Request {request.Id} has no reservation of {all.Length - 1} tokens; reserve and write its KV first.");
        }
        sequence.HoldsBlocks = true;
        sequence.Computed = all.Length - 1;
        // The first token is the prefill worker's (its log-probability stays there).
        Post(new EngineCommand.AddImported(sequence, all[^1]), sequence, cancellationToken);
        return sequence.Handle;
    }

    /// <summary>Stops a request and frees its blocks at the start of the next step.</summary>
    public void Cancel(RequestId id) => _commands.Writer.TryWrite(new EngineCommand.Cancel(id));

    /// <summary>Runs steps until nothing can run (tests, benchmarks).</summary>
    public void RunUntilIdle()
    {
        while (Step()) { }
    }

    private EngineSequence NewSequence(EngineRequest request, IReadOnlyList<int> input)
    {
        ArgumentNullException.ThrowIfNull(request.Prompt);
        ArgumentNullException.ThrowIfNull(request.Sampling);
        ArgumentNullException.ThrowIfNull(request.Generated);
        ArgumentNullException.ThrowIfNull(request.CacheSalt);
        var parameters = request.Sampling;
        parameters.Validate();
        if (request.Prompt.Count == 0) throw new ArgumentException("The prompt is empty.", nameof(request));
        var vocab = _model.Config.VocabSize;
        if (request.Prompt.Any(t => t < 0 || t >= vocab)) throw new ArgumentException($"The prompt holds token ids outside 0 … {vocab - 1}.", nameof(request));
        if (request.Generated.Any(t => t < 0 || t >= vocab)) throw new ArgumentException($"The generated tokens hold ids outside 0 … {vocab - 1}.", nameof(request));
        if (request.Generated.Count >= parameters.MaxTokens)
        {
            throw new ArgumentException($"max_tokens = {parameters.MaxTokens} counts the {request.Generated.Count} tokens generated before: nothing is left to generate.", nameof(request));
        }
        var positions = _model.MaxPositions;
        if (input.Count > positions)
        {
            throw new ArgumentException($"The prompt has {input.Count} tokens; this model instance runs at most {positions} positions.", nameof(request));
        }
        // The last token's KV is never needed; every other token's must fit the cache at once.
        var kvTokens = Math.Min(request.Prompt.Count + parameters.MaxTokens - 1, positions);
        if (Kv.BlocksFor(kvTokens) > Kv.Pool.TotalBlocks)
        {
            throw new ArgumentException(
                $"The request needs KV for {kvTokens} tokens ({Kv.BlocksFor(kvTokens)} blocks) but the cache holds {Kv.Pool.TotalBlocks} blocks of {Kv.BlockSize}; lower max_tokens or raise KvCache:MemoryFraction.",
                nameof(request));
        }
        var handle = new RequestHandle(request.Id);
        if (!Enum.IsDefined(request.Priority)) throw new ArgumentException($"Priority {(int)request.Priority} is unknown; use {EnginePriority.Normal} or {EnginePriority.Low}.", nameof(request));
        var sequence = new EngineSequence(request.Id, input, request.Prompt.Count, request.CacheSalt, parameters, Interlocked.Increment(ref _arrivals), positions, handle)
        {
            Priority = request.Priority,
        };
        handle.Attach(sequence, _sync);
        return sequence;
    }

    private void Post(EngineCommand command, EngineSequence sequence, CancellationToken cancellationToken)
    {
        lock (_postGate)
        {
            if (_fault is not null) throw new InvalidOperationException("The engine stopped after a failed step; restart the worker.", _fault);
            _commands.Writer.TryWrite(command);
        }
        if (cancellationToken.CanBeCanceled) cancellationToken.Register(() => Cancel(sequence.Id));
    }

    internal void Wake() => _commands.Writer.TryWrite(new EngineCommand.Wake());

    public void Dispose()
    {
        _commands.Writer.TryComplete();
        _runner.Dispose();
        Storage.Dispose();
    }
}
