using Cluster.Core.Ids;
using Cluster.Contracts.V1;

namespace Cluster.Router.Coordination;

/// <summary>
/// Runs one tokenized request through the cluster (ARCHITECTURE §1): routing, reserve on D, prefill on P with the KV
/// transfer, the decode stream, retries and migration (§7). The client APIs (gRPC <c>Inference</c>, OpenAI HTTP) sit
/// in front of it: they tokenize, validate, detokenize and apply stop strings; this contract is token ids only.
/// </summary>
public interface IRequestCoordinator
{
    /// <summary>
    /// Yields the generated tokens as workers produce them, in order, with no repeats or gaps even across a migration;
    /// the last event is <see cref="CoordinatorEvent.Finished"/>. Before the first token it may throw
    /// <c>RpcException</c>: INVALID_ARGUMENT (the request cannot be served, e.g. longer than the model's context),
    /// NOT_FOUND (no live worker serves the model), RESOURCE_EXHAUSTED with trailer <c>grpc-retry-pushback-ms</c>
    /// (admission queue full), UNAVAILABLE (retries exhausted). Cancelling <paramref name="cancellationToken"/> or
    /// disposing the enumerator early (a stop string matched) cancels the request on every worker it touched.
    /// </summary>
    IAsyncEnumerable<CoordinatorEvent> RunAsync(TokenizedRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A request as the coordinator sees it: validated, tokenized, server defaults applied.</summary>
/// <param name="Id">The router's own id for the request, unique and unguessable (<c>RequestId.New()</c>); every worker
/// call (Reserve, Prefill, Decode, Cancel, KV tickets) is keyed by it. Never client-chosen.</param>
/// <param name="Model">The served model.</param>
/// <param name="PromptTokens">The prompt (chat template already applied), never empty.</param>
/// <param name="Sampling">Validated sampling values (proto, sent to workers as is).</param>
/// <param name="Stop">Max tokens (resolved, ≥ 1), stop token ids and ignore_eos; stop strings are the front end's.</param>
/// <param name="Logprobs">Return each chosen token's log-probability.</param>
/// <param name="CacheSalt">Isolates prefix-cache sharing (part of the block hash seed).</param>
/// <param name="Label">The client's request id (or one the front end made up): echoed back and logged, never sent to a
/// worker. Empty when the caller has none (e.g. tests driving the coordinator directly).</param>
/// <param name="Api">The client API it came through (<c>grpc</c>, <c>openai</c>; a metric tag), empty when unknown.</param>
/// <param name="Operation">The GenAI operation (<c>chat</c>, <c>text_completion</c>; tag <c>gen_ai.operation.name</c>).</param>
/// <param name="Progress">Told each route the coordinator takes (the router tier's request grain); null when nobody listens.</param>
/// <param name="Priority">The workers' queue and preemption order for every Prefill and Decode of the request, retries and
/// migrations included (<c>LOW</c> for Batch API work: it fills idle capacity and yields to online requests).</param>
/// <param name="Precondition">Awaited before the run's first side effect (a decode admission, any worker call), after the
/// prefix lookup and the policies: a fault ends the run with that exception and nothing sent to a worker. The front end
/// passes its cluster-wide claim of <see cref="Label"/> (the router tier's request grain), so that round trip overlaps
/// the decision instead of preceding it. Null: nothing to wait for.</param>
public sealed record TokenizedRequest(
    RequestId Id,
    ModelId Model,
    IReadOnlyList<int> PromptTokens,
    SamplingParams Sampling,
    StopConditions Stop,
    bool Logprobs,
    string CacheSalt,
    string Label = "",
    string Api = "",
    string Operation = "text_completion",
    IRequestProgress? Progress = null,
    RequestPriority Priority = RequestPriority.Normal,
    Task? Precondition = null);

/// <summary>What the coordinator streams back.</summary>
public abstract record CoordinatorEvent
{
    private CoordinatorEvent() { }

    /// <summary>
    /// New tokens, in order; <paramref name="Logprobs"/> is parallel to <paramref name="Ids"/> when asked for, else empty.
    /// <paramref name="CachedPromptTokens"/>: prompt tokens whose KV came from a prefix cache, known from the first token
    /// on (a front end that ends the request early, on a stop string, reports it as usage).
    /// </summary>
    public sealed record Tokens(IReadOnlyList<int> Ids, IReadOnlyList<float> Logprobs, int CachedPromptTokens = 0) : CoordinatorEvent;

    /// <summary>The end: why, and the usage counts (cached = prompt tokens whose KV came from a prefix cache).</summary>
    public sealed record Finished(FinishReason Reason, int PromptTokens, int CompletionTokens, int CachedPromptTokens) : CoordinatorEvent;
}
