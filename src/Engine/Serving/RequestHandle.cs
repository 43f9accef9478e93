using System.Threading.Channels;
using Cluster.Core.Ids;
using Cluster.Engine.Generation;
using Cluster.Engine.Scheduling;

namespace Cluster.Engine.Serving;

/// <summary>
/// A submitted request: its tokens as they are generated, and the final result. A cancelled request's
/// <see cref="Completion"/> ends cancelled and its token stream completes.
/// </summary>
public sealed class RequestHandle
{
    private readonly Channel<int> _tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly TaskCompletionSource<GenerationResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal RequestHandle(RequestId id) => Id = id;

    public RequestId Id { get; }

    /// <summary>Each generated token, as soon as it is sampled.</summary>
    public ChannelReader<int> Tokens => _tokens.Reader;

    /// <summary>The result, once the request stops (max tokens, stop id, length) or fails.</summary>
    public Task<GenerationResult> Completion => _completion.Task;

    private EngineSequence? _sequence;
    private object? _sync;

    /// <summary>
    /// The log-probability of output token <paramref name="index"/> (0 = the first generated token) once it has been
    /// emitted, else null. NaN for a first token sampled elsewhere (<c>SubmitImported</c>).
    /// </summary>
    public float? LogProbAt(int index)
    {
        if (_sequence is null || _sync is null) return null;
        lock (_sync) return index >= 0 && index < _sequence.LogProbs.Count ? _sequence.LogProbs[index] : null;
    }

    /// <summary>
    /// Prompt tokens (of the request's prompt proper, not output generated before a migration) whose KV the first
    /// admission took from the prefix cache instead of computing it; 0 before admission and for imported KV.
    /// </summary>
    public int CachedPromptTokens
    {
        get
        {
            if (_sequence is null || _sync is null) return 0;
            lock (_sync) return Math.Min(_sequence.CachedTokens ?? 0, _sequence.OutputStart);
        }
    }

    /// <summary>
    /// <see cref="CachedPromptTokens"/> counting the output generated before too: of the tokens given at submission
    /// (prompt + generated), those the first admission took from the prefix cache.
    /// </summary>
    public int CachedInputTokens
    {
        get
        {
            if (_sequence is null || _sync is null) return 0;
            lock (_sync) return _sequence.CachedTokens ?? 0;
        }
    }

    // The engine's sequence behind this handle and the lock under which the loop changes it.
    internal void Attach(EngineSequence sequence, object sync) => (_sequence, _sync) = (sequence, sync);

    internal void Emit(int token) => _tokens.Writer.TryWrite(token);

    internal void Complete(GenerationResult result)
    {
        _tokens.Writer.TryComplete();
        _completion.TrySetResult(result);
    }

    internal void Cancel()
    {
        _tokens.Writer.TryComplete();
        _completion.TrySetCanceled();
    }

    internal void Fail(Exception error)
    {
        _tokens.Writer.TryComplete(error);
        _completion.TrySetException(error);
    }
}
