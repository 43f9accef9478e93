using System.Threading.Channels;
using Cluster.Core.Ids;
using Cluster.Engine.Generation;

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
