using System.Runtime.CompilerServices;
using System.Text;
using Cluster.Contracts.V1;
using Cluster.Router.Coordination;
using Grpc.Core;

namespace Cluster.Router.Api.Text;

/// <summary>
/// Runs a prepared request through the coordinator and turns its tokens into text chunks: streaming detokenization
/// (never half a character), stop strings (held back until they cannot match; on a match the coordinator's stream is
/// disposed, which ends the request on the workers), the finish reason and usage on the last chunk. Coordinator
/// failures surface as <see cref="ApiException"/>s. While a request runs it holds its client label
/// (<see cref="IRequestLabels"/>: this router, or every router of the tier): a second live request with the same label fails with
/// <see cref="ApiErrorKind.Conflict"/>, leaving the first untouched: on this router before reaching the coordinator; on
/// another router of the tier when the claim's answer comes, which the coordinator awaits before its first worker call
/// (<see cref="TokenizedRequest.Precondition"/>: the round trip overlaps the prefix lookup and the policies). A label the
/// router made up (no client id) cannot collide: its claim is not awaited at all (<see cref="LabelClaim.ChosenByRouter"/>).
/// </summary>
public sealed class TextGenerator(IRequestCoordinator coordinator, IRequestLabels? labels = null)
{
    private readonly IRequestLabels _labels = labels ?? new LiveRequestLabels();

    public async IAsyncEnumerable<TextChunk> GenerateAsync(PreparedRequest prepared, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        // Cancelled by the caller's token, or by a cancel naming the request id (IRequestLabels.CancelAsync, any router).
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var label = await _labels.ClaimAsync(new LabelClaim(prepared.Label, prepared.Request.Id.Value, prepared.Principal, cancel, prepared.LabelChosenByRouter), cancellationToken);
        var run = new GenerationRun(prepared.Request with { Progress = label, Precondition = label.Confirmed }, cancellationToken, cancel.Token);
        var decoder = prepared.Model.Tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        var matcher = new StopStringMatcher(prepared.StopStrings);
        var promptTokens = prepared.Request.PromptTokens.Count;
        var completionTokens = 0;
        var cachedPromptTokens = 0;
        await using var events = Start(run);
        var confirmed = false;
        while (await NextAsync(events, run))
        {
            if (!confirmed)
            {
                await label.Confirmed; // the coordinator awaited it before any worker call: nothing reaches the client before it either
                confirmed = true;
            }

            switch (events.Current)
            {
                case CoordinatorEvent.Tokens tokens:
                    var text = new StringBuilder();
                    var count = 0;
                    var stopped = false;
                    for (; count < tokens.Ids.Count && !stopped; count++)
                    {
                        (var emit, stopped) = matcher.Push(decoder.Append(tokens.Ids[count]));
                        text.Append(emit);
                    }

                    completionTokens += count;
                    cachedPromptTokens = tokens.CachedPromptTokens;
                    var ids = Take(tokens.Ids, count);
                    var logprobs = Take(tokens.Logprobs, Math.Min(count, tokens.Logprobs.Count));
                    if (stopped)
                    {
                        // Leaving the loop disposes the coordinator's enumerator: the workers stop generating.
                        yield return new TextChunk(text.ToString(), ids, logprobs, FinishReason.Stop,
                            new GenerationUsage(promptTokens, completionTokens, cachedPromptTokens));
                        yield break;
                    }

                    yield return new TextChunk(text.ToString(), ids, logprobs);
                    break;

                case CoordinatorEvent.Finished finished:
                    var (tail, stoppedAtEnd) = matcher.Push(decoder.Flush());
                    var rest = stoppedAtEnd ? tail : tail + matcher.Flush();
                    var reason = stoppedAtEnd ? FinishReason.Stop : finished.Reason;
                    yield return new TextChunk(rest, [], [], reason == FinishReason.Unspecified ? FinishReason.Stop : reason,
                        new GenerationUsage(finished.PromptTokens, finished.CompletionTokens, finished.CachedPromptTokens));
                    yield break;
            }
        }

        throw Failure(new OperationCanceledException(), run) ?? new ApiException(ApiErrorKind.Unavailable, "The cluster ended the request without finishing it; retry.");
    }

    /// <summary>The whole generation at once (non-streaming APIs).</summary>
    public async Task<CompletedText> CompleteAsync(PreparedRequest prepared, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        var ids = new List<int>();
        var logprobs = new List<float>();
        await foreach (var chunk in GenerateAsync(prepared, cancellationToken))
        {
            text.Append(chunk.Text);
            ids.AddRange(chunk.TokenIds);
            logprobs.AddRange(chunk.Logprobs);
            if (chunk.IsLast)
            {
                return new CompletedText(text.ToString(), ids, logprobs, chunk.FinishReason, chunk.Usage!);
            }
        }

        throw new ApiException(ApiErrorKind.Unavailable, "The cluster ended the request without finishing it; retry.");
    }

    // A coordinator may also throw when called (before any enumeration).
    private IAsyncEnumerator<CoordinatorEvent> Start(GenerationRun run)
    {
        try
        {
            return coordinator.RunAsync(run.Request, run.Token).GetAsyncEnumerator(run.Token);
        }
        catch (Exception e) when (Failure(e, run) is { } failure)
        {
            throw failure;
        }
    }

    private static async ValueTask<bool> NextAsync(IAsyncEnumerator<CoordinatorEvent> events, GenerationRun run)
    {
        try
        {
            return await events.MoveNextAsync();
        }
        catch (Exception e)
        {
            // A run that failed (e.g. no worker) while its id's claim was in flight: a refused claim is the answer (409).
            if (!run.Caller.IsCancellationRequested && await RefusedClaimAsync(run.Request.Precondition) is { } refused)
            {
                throw refused;
            }

            if (Failure(e, run) is { } failure)
            {
                throw failure;
            }

            throw;
        }
    }

    private static async Task<ApiException?> RefusedClaimAsync(Task? claim)
    {
        try
        {
            if (claim is not null)
            {
                await claim;
            }

            return null;
        }
        catch (ApiException e)
        {
            return e;
        }
    }

    // A cancel by request id ends the request as a client disconnect does (the workers free it), and the caller, still
    // there, learns why: ApiErrorKind.Cancelled (gRPC CANCELLED, HTTP 499 / an SSE error event).
    // The request's own cancellation (client gone, its deadline) ends worker calls with CANCELLED: that is the caller's
    // cancellation, for the host to report as such (CANCELLED / DEADLINE_EXCEEDED), not a cluster failure (INTERNAL).
    private static Exception? Failure(Exception e, GenerationRun run) => e switch
    {
        _ when run.CancelledById && e is OperationCanceledException or RpcException => new ApiException(ApiErrorKind.Cancelled,
            $"The request was cancelled through its request id '{run.Request.Label}' (Inference.Cancel or POST /v1/requests/{{id}}/cancel)."),
        RpcException rpc => run.Caller.IsCancellationRequested
            ? new OperationCanceledException("The request was cancelled by its caller or its deadline.", rpc, run.Caller)
            : CoordinatorFailures.ToApi(rpc),
        _ => null,
    };

    private static IReadOnlyList<T> Take<T>(IReadOnlyList<T> items, int count) =>
        count == items.Count ? items : items.Take(count).ToArray();
}

/// <summary>One run's request (with its progress sink) and tokens: the caller's, and the one a cancel by id also cancels.</summary>
internal sealed record GenerationRun(TokenizedRequest Request, CancellationToken Caller, CancellationToken Token)
{
    public bool CancelledById => Token.IsCancellationRequested && !Caller.IsCancellationRequested;
}

/// <summary>A whole generation: text, tokens, logprobs (when asked for), why it ended, usage.</summary>
public sealed record CompletedText(string Text, IReadOnlyList<int> TokenIds, IReadOnlyList<float> Logprobs,
    FinishReason FinishReason, GenerationUsage Usage);
