using System.Runtime.CompilerServices;
using Cluster.Contracts.V1;
using Cluster.Router.Coordination;

namespace Cluster.Router.Tests.Api.Infrastructure;

/// <summary>
/// A deterministic <see cref="IRequestCoordinator"/>: by default it "generates" <see cref="Output"/> (the byte-level
/// tokens of the text) in events of <see cref="TokensPerEvent"/> tokens, logprob of token i = -(i + 1) / 10, then
/// finishes with <see cref="Reason"/>. It records every request, and signals when a run's token is cancelled or its
/// enumerator disposed before the end (what a client cancel or a stop string must cause).
/// </summary>
internal sealed class FakeCoordinator : IRequestCoordinator
{
    public string Output { get; set; } = "Hello, world! The quick brown fox.";

    public int TokensPerEvent { get; set; } = 3;

    public FinishReason Reason { get; set; } = FinishReason.Length;

    public int CachedPromptTokens { get; set; } = 4;

    /// <summary>When set, thrown before the first token.</summary>
    public Exception? FailWith { get; set; }

    /// <summary>When set, thrown after the first event of tokens (a failure mid-stream).</summary>
    public Exception? FailMidStreamWith { get; set; }

    /// <summary>When set, the run waits after this many tokens until <see cref="ResumeHanging"/> or its cancellation.</summary>
    public int? HangAfterTokens { get; set; }

    public List<TokenizedRequest> Requests { get; } = [];

    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource EndedEarly { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Hanging { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly CancellationTokenSource _resume = new();

    public TokenizedRequest LastRequest
    {
        get
        {
            lock (Requests)
            {
                return Requests[^1];
            }
        }
    }

    /// <summary>Lets hanging runs (<see cref="HangAfterTokens"/>), now and later, go on to the end.</summary>
    public void ResumeHanging() => _resume.Cancel();

    public static float LogprobOf(int index) => -(index + 1) / 10f;

    public IAsyncEnumerable<CoordinatorEvent> RunAsync(TokenizedRequest request, CancellationToken cancellationToken = default)
    {
        lock (Requests)
        {
            Requests.Add(request);
        }

        return FailWith is { } e ? throw e : RunCoreAsync(request, cancellationToken);
    }

    private async IAsyncEnumerable<CoordinatorEvent> RunCoreAsync(TokenizedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() => Cancelled.TrySetResult());
        var ids = TinyModel.Tokenizer.Encode(Output, addSpecialTokens: false);
        var limit = Math.Min(ids.Length, (int)request.Stop.MaxTokens);
        var finished = false;
        try
        {
            for (var i = 0; i < limit; i += TokensPerEvent)
            {
                if (HangAfterTokens is { } hang && i >= hang)
                {
                    Hanging.TrySetResult();
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _resume.Token);
                    try
                    {
                        await Task.Delay(Timeout.Infinite, wait.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // resumed
                    }
                }

                if (i > 0 && FailMidStreamWith is { } midStream)
                {
                    throw midStream;
                }

                var batch = ids.Skip(i).Take(Math.Min(TokensPerEvent, limit - i)).ToArray();
                var logprobs = request.Logprobs ? batch.Select((_, j) => LogprobOf(i + j)).ToArray() : [];
                yield return new CoordinatorEvent.Tokens(batch, logprobs);
            }

            finished = true;
            var reason = limit < ids.Length ? FinishReason.Length : Reason;
            yield return new CoordinatorEvent.Finished(reason, request.PromptTokens.Count, limit, CachedPromptTokens);
        }
        finally
        {
            if (!finished)
            {
                EndedEarly.TrySetResult();
            }
        }
    }
}
