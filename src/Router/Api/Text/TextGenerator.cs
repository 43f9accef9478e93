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
/// (<see cref="TokenizedRequest.Precondition"/>: the round trip overlaps the prefix lookup and the policies).
/// </summary>
public sealed class TextGenerator(IRequestCoordinator coordinator, IRequestLabels? labels = null)
{
    private readonly IRequestLabels _labels = labels ?? new LiveRequestLabels();

    /// <summary>
    /// Claims the label of a request not yet prepared (<see cref="RequestPreparer.Identify"/>), so that the router tier's
    /// claim overlaps the tokenization as well as the routing decision; pass the result to <see cref="GenerateAsync(PreparedRequest, ClaimedLabel, CancellationToken)"/>
    /// and dispose it once the response is done. A duplicate on this router throws <see cref="ApiErrorKind.Conflict"/> at once.
    /// </summary>
    public async ValueTask<ClaimedLabel> ClaimAsync(RequestIdentity identity, string principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        // Cancelled by the caller's token, or by a cancel naming the request id (IRequestLabels.CancelAsync, any router).
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            return new ClaimedLabel(identity, await _labels.ClaimAsync(new LabelClaim(identity.Label, identity.Id.Value, principal, cancel), cancellationToken), cancel);
        }
        catch
        {
            cancel.Dispose();
            throw;
        }
    }

    /// <summary>Claims the request's label, then runs it (<see cref="GenerateAsync(PreparedRequest, ClaimedLabel, CancellationToken)"/>).</summary>
    public async IAsyncEnumerable<TextChunk> GenerateAsync(PreparedRequest prepared, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        await using var claimed = await ClaimAsync(new RequestIdentity(prepared.Label, prepared.Request.Id), prepared.Principal, cancellationToken);
        await foreach (var chunk in GenerateAsync(prepared, claimed, cancellationToken))
        {
            yield return chunk;
        }
    }

    /// <summary>Runs a prepared request whose label <paramref name="claimed"/> holds (<see cref="ClaimAsync"/>, the same identity).</summary>
    public async IAsyncEnumerable<TextChunk> GenerateAsync(PreparedRequest prepared, ClaimedLabel claimed, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(claimed);
        if (claimed.Identity.Label != prepared.Label || claimed.Identity.Id != prepared.Request.Id)
        {
            throw new InvalidOperationException($"The claimed label '{claimed.Identity.Label}' ({claimed.Identity.Id}) is not the prepared request's '{prepared.Label}' ({prepared.Request.Id}): prepare it with the identity that was claimed.");
        }

        var label = claimed.Handle;
        var run = new GenerationRun(prepared.Request with { Progress = label, Precondition = label.Confirmed }, cancellationToken, claimed.Token);
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
    public Task<CompletedText> CompleteAsync(PreparedRequest prepared, CancellationToken cancellationToken = default) =>
        CollectAsync(GenerateAsync(prepared, cancellationToken));

    /// <summary>The whole generation at once, its label claimed beforehand (<see cref="ClaimAsync"/>).</summary>
    public Task<CompletedText> CompleteAsync(PreparedRequest prepared, ClaimedLabel claimed, CancellationToken cancellationToken = default) =>
        CollectAsync(GenerateAsync(prepared, claimed, cancellationToken));

    private static async Task<CompletedText> CollectAsync(IAsyncEnumerable<TextChunk> chunks)
    {
        var text = new StringBuilder();
        var ids = new List<int>();
        var logprobs = new List<float>();
        await foreach (var chunk in chunks)
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

/// <summary>A request's label held for it (<see cref="TextGenerator.ClaimAsync"/>) and its cancellation; disposing frees both.</summary>
public sealed class ClaimedLabel : IAsyncDisposable
{
    private readonly CancellationTokenSource _cancel;

    internal ClaimedLabel(RequestIdentity identity, ILabelHandle handle, CancellationTokenSource cancel) =>
        (Identity, Handle, _cancel) = (identity, handle, cancel);

    public RequestIdentity Identity { get; }

    internal ILabelHandle Handle { get; }

    /// <summary>Cancelled by the caller's token or by a cancel naming the label.</summary>
    internal CancellationToken Token => _cancel.Token;

    public async ValueTask DisposeAsync()
    {
        await Handle.DisposeAsync().ConfigureAwait(false);
        _cancel.Dispose();
    }
}

/// <summary>One run's request (with its progress sink) and tokens: the caller's, and the one a cancel by id also cancels.</summary>
internal sealed record GenerationRun(TokenizedRequest Request, CancellationToken Caller, CancellationToken Token)
{
    public bool CancelledById => Token.IsCancellationRequested && !Caller.IsCancellationRequested;
}

/// <summary>A whole generation: text, tokens, logprobs (when asked for), why it ended, usage.</summary>
public sealed record CompletedText(string Text, IReadOnlyList<int> TokenIds, IReadOnlyList<float> Logprobs,
    FinishReason FinishReason, GenerationUsage Usage);
