using Cluster.Core.Generation;
using Cluster.Core.Ids;
using Cluster.Engine.Sampling;
using Cluster.Engine.Serving;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;

namespace Cluster.Worker.KvEngine;

/// <summary>
/// A prompt prefilled by a prefill-role engine whose KV is pushed layer by layer while the prefill computes
/// (Splitwise-style overlap): start <see cref="KvPushClient.PushAsync"/> with <see cref="Push"/> right away, await
/// <see cref="Handle"/> for the first token, then the push; <see cref="InferenceEngine.ReleaseKv"/> once the receiver
/// acknowledged. Dispose frees KV staged for chunks that were never sent.
/// </summary>
public sealed class StreamingPrefill : IDisposable
{
    private readonly LayerChunkQueue _queue;

    private StreamingPrefill(RequestHandle handle, KvPushRequest push, LayerChunkQueue queue)
    {
        Handle = handle;
        Push = push;
        _queue = queue;
    }

    /// <summary>The prefill request (its single token is the first output token).</summary>
    public RequestHandle Handle { get; }

    /// <summary>The push of the prompt's KV to the holder of the ticket; its chunks appear as layers are computed.</summary>
    public KvPushRequest Push { get; }

    /// <summary>Chunks published so far.</summary>
    public int PublishedChunks => _queue.Count;

    /// <summary>
    /// Submits <paramref name="prompt"/> to <paramref name="engine"/> (prefill role) with KV streaming on, for a push to
    /// the holder of <paramref name="ticket"/> in chunks of at most <paramref name="maxChunkBytes"/>.
    /// </summary>
    public static StreamingPrefill Start(
        InferenceEngine engine, RequestId request, IReadOnlyList<int> prompt, GenerationParameters parameters, string ticket,
        int maxChunkBytes = KvTransferOptions.DefaultMaxChunkBytes, CancellationToken cancellationToken = default) =>
        Start(engine, request, prompt, parameters, ticket, maxChunkBytes, sink => sink, cancellationToken);

    /// <summary>
    /// <see cref="Start(InferenceEngine, RequestId, IReadOnlyList{int}, GenerationParameters, string, int, CancellationToken)"/>
    /// with the request's cache salt and the output it generated before (a migrated request): the push carries the KV of
    /// prompt + generated tokens.
    /// </summary>
    public static StreamingPrefill Start(
        InferenceEngine engine, EngineRequest request, string ticket,
        int maxChunkBytes = KvTransferOptions.DefaultMaxChunkBytes, CancellationToken cancellationToken = default) =>
        Start(engine, request, ticket, maxChunkBytes, sink => sink, cancellationToken);

    /// <summary>
    /// <see cref="Start(InferenceEngine, EngineRequest, string, int, CancellationToken)"/> for a receiver whose prefix cache
    /// already holds the KV of the first <paramref name="receiverCachedTokens"/> tokens (Reserve's cached_tokens, whole
    /// blocks): the push carries only the blocks after them.
    /// </summary>
    public static StreamingPrefill Start(
        InferenceEngine engine, EngineRequest request, string ticket, int receiverCachedTokens, int maxChunkBytes, CancellationToken cancellationToken) =>
        Start(engine, request, ticket, maxChunkBytes, sink => sink, cancellationToken, receiverCachedTokens);

    /// <summary><see cref="Start(InferenceEngine, RequestId, IReadOnlyList{int}, GenerationParameters, string, int, CancellationToken)"/> with the sink wrapped (tests observe publication).</summary>
    internal static StreamingPrefill Start(
        InferenceEngine engine, RequestId request, IReadOnlyList<int> prompt, GenerationParameters parameters, string ticket,
        int maxChunkBytes, Func<IKvLayerSink, IKvLayerSink> wrap, CancellationToken cancellationToken) =>
        Start(engine, new EngineRequest(request, prompt, parameters), ticket, maxChunkBytes, wrap, cancellationToken);

    internal static StreamingPrefill Start(
        InferenceEngine engine, EngineRequest request, string ticket, int maxChunkBytes, Func<IKvLayerSink, IKvLayerSink> wrap, CancellationToken cancellationToken,
        int receiverCachedTokens = 0)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunkBytes, 1);
        var blockSize = engine.Storage.Layout.BlockSize;
        var tokens = request.Prompt.Count + request.Generated.Count;
        if (receiverCachedTokens < 0 || receiverCachedTokens % blockSize != 0 || receiverCachedTokens > tokens)
        {
            throw new ArgumentOutOfRangeException(nameof(receiverCachedTokens), $"The receiver's cached tokens ({receiverCachedTokens}) must be whole blocks of {blockSize} within the request's {tokens} tokens.");
        }

        var queue = new LayerChunkQueue(engine, request.Id, maxChunkBytes, receiverCachedTokens / blockSize);
        try
        {
            var handle = engine.SubmitStreaming(request, wrap(queue), cancellationToken);
            queue.Attach(handle.Completion);
            var push = new KvPushRequest(ticket, engine.ModelId.Value, engine.Storage.Layout, request.Prompt.Count + request.Generated.Count, queue.Chunks)
            {
                DeviceSource = engine.Storage.Device.IsCuda ? queue.DeviceChunks : null,   // slabs stay on the GPU for a CUDA IPC ring
            };
            return new StreamingPrefill(handle, push, queue);
        }
        catch
        {
            queue.Dispose();
            throw;
        }
    }

    public void Dispose() => _queue.Dispose();
}
