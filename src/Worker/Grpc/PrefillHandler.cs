using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.KvTransfer;
using Cluster.KvTransfer.Client;
using Cluster.Worker.KvEngine;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Cluster.Worker.Engine;
using Cluster.Worker.Requests;

namespace Cluster.Worker.Grpc;

/// <summary>
/// <c>Prefill</c>: runs the prompt, takes the first token, pushes the prompt's KV to the decode worker that issued the
/// ticket layer by layer while the prefill computes, and frees the KV here once the push is acknowledged (or failed,
/// or was cancelled). A migrated request's generated_token_ids are computed (and pushed) after the prompt but counted as
/// output when the next token is drawn; cache_salt salts the prefix cache; decode_cached_tokens (the decode worker's
/// Reserve answer) skips the blocks the decode worker already holds. The answer reports the transfer's measured cost
/// (total push time, and the part after the first token: not hidden under compute) for the router's decision.
/// </summary>
internal sealed class PrefillHandler(WorkerEngine worker, WorkerRequests requests, WorkerGuards guards, KvPushChannels channels, IOptions<KvTransferTestFaults> faults)
{
    public async Task<PrefillResponse> HandleAsync(PrefillRequest request, ServerCallContext context)
    {
        RequestValidation.RequireId(request.RequestId);
        guards.Admit("Prefill", request.Model, EngineRole.Decode);
        var prompt = RequestValidation.Tokens(request.PromptTokenIds, "prompt_token_ids", worker.VocabSize, required: true);
        var generated = RequestValidation.Tokens(request.GeneratedTokenIds, "generated_token_ids", worker.VocabSize, required: false);
        var sampling = RequestValidation.Sampling(request.Sampling, null, maxTokens: generated.Length + 1, worker.VocabSize);
        var priority = RequestValidation.Priority(request.Priority);
        var target = PushTarget(request);
        var blockSize = worker.Engine.Storage.Layout.BlockSize;
        if (request.DecodeCachedTokens % blockSize != 0 || request.DecodeCachedTokens > prompt.Length + generated.Length)
        {
            throw RequestValidation.Invalid($"decode_cached_tokens = {request.DecodeCachedTokens} must be whole blocks of {blockSize} within the request's {prompt.Length + generated.Length} tokens (pass Reserve's cached_tokens).");
        }

        var id = new RequestId(request.RequestId);
        var engineRequest = new EngineRequest(id, prompt, sampling) { Generated = generated, CacheSalt = request.CacheSalt, Priority = priority };
        var inputTokens = prompt.Length + generated.Length;
        using var active = requests.TryBegin(id, inputTokens, context.CancellationToken, priority)
            ?? throw CallFailures.Status(StatusCode.AlreadyExists, $"Request {id} is already in flight on this worker.");
        var engine = worker.Engine;
        StreamingPrefill? streaming = null;
        Task<ulong>? push = null;
        var transport = new PushTransport();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            // With a push target the KV streams layer by layer while the prefill computes (StreamingPrefill); the push
            // starts now and sends each layer's chunks as soon as the engine publishes them.
            RequestHandle handle;
            if (target is null)
            {
                handle = CallFailures.Submit(() => engine.Submit(engineRequest, active.Token));
            }
            else
            {
                streaming = CallFailures.Submit(() => StreamingPrefill.Start(engine, engineRequest, request.Ticket, (int)request.DecodeCachedTokens, channels.MaxChunkBytes, active.Token));
                handle = streaming.Handle;
                push = PushAsync(request.Ticket, target, streaming.Push, faults.Value.Corrupts(request.CacheSalt), active, context, transport);
            }

            active.Watch(() => handle.CachedInputTokens);   // the heartbeat's queued tokens leave out a cached prefix
            Cluster.Engine.Generation.GenerationResult result;
            try
            {
                result = await handle.Completion.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // A failed or cancelled prefill ends the push's chunk stream; let it finish before the KV is released.
                if (push is not null) await push.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default).ConfigureAwait(false);
                throw CallFailures.Map(e, active, context);
            }

            var firstToken = clock.Elapsed;
            active.MarkStarted();
            var cached = Math.Min(handle.CachedInputTokens, inputTokens);   // computed + cached = prompt + generated
            requests.RecordPrefill(inputTokens - cached, cached);
            ulong bytes;
            try
            {
                bytes = push is null ? 0UL : await push.ConfigureAwait(false);
            }
            catch (RpcException e) when (push is not null)
            {
                channels.Instruments.Pushed(transport.Name, clock.Elapsed, TimeSpan.Zero, 0, e.StatusCode == StatusCode.Cancelled ? "cancelled" : FailureReason(e));
                throw;
            }

            var pushed = clock.Elapsed;
            if (push is not null)
            {
                channels.Instruments.Pushed(transport.Name, pushed, pushed - firstToken, (long)bytes, "");
            }

            return new PrefillResponse
            {
                TransferExposedUs = push is null ? 0 : (ulong)Math.Max(1, (pushed - firstToken).TotalMicroseconds),
                TransferTotalUs = push is null ? 0 : (ulong)Math.Max(1, pushed.TotalMicroseconds),
                FirstTokenId = (uint)result.Tokens[0],
                FirstTokenLogprob = result.LogProbs.Count > 0 ? result.LogProbs[0] : float.NaN,
                ComputedTokens = (uint)(inputTokens - cached),
                CachedTokens = (uint)cached,
                TransferredBytes = bytes,
            };
        }
        finally
        {
            streaming?.Dispose();
            // The KV a prefill-role engine keeps for export is freed on every path (sent, failed, cancelled).
            if (worker.Role == EngineRole.Prefill) engine.ReleaseKv(id);
        }
    }

    /// <summary>
    /// The status a failed push answers Prefill with. The decode side unreachable or broken (UNAVAILABLE, DEADLINE_EXCEEDED,
    /// INTERNAL, UNKNOWN from it) → UNAVAILABLE: the router counts it against this worker and tries another. Anything else
    /// → ABORTED, a transfer failure: the prompt was computed here but its KV did not arrive, and the router has the
    /// decode worker recompute it. That includes the receiver refusing the stream and a failure on this side of the push
    /// that is not a gRPC status (a device copy: on an H100 a CUDA error in the push once failed every prefill worker
    /// of a request in turn, when recomputing on the decode worker would have served it).
    /// </summary>
    internal static (StatusCode Code, string Cause) PushFailure(Exception e) => e switch
    {
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown } r =>
            (StatusCode.Unavailable, $"{r.StatusCode}: {r.Status.Detail}"),
        RpcException r => (StatusCode.Aborted, $"{r.StatusCode}: {r.Status.Detail}"),
        _ => (StatusCode.Aborted, $"{e.GetType().Name}: {e.Message}"),
    };

    // "aborted: DATA_LOSS" style reasons, from the message PushAsync wrote ("... failed (DataLoss: ...").
    private static string FailureReason(RpcException e)
    {
        var detail = e.Status.Detail;
        var open = detail.IndexOf("failed (", StringComparison.Ordinal);
        var colon = open < 0 ? -1 : detail.IndexOf(':', open);
        return open < 0 || colon < 0 ? e.StatusCode.ToString().ToLowerInvariant() : detail[(open + 8)..colon].ToLowerInvariant();
    }

    private Uri? PushTarget(PrefillRequest request)
    {
        if (string.IsNullOrEmpty(request.DecodeEndpoint)) return null;
        if (!Uri.TryCreate(request.DecodeEndpoint, UriKind.Absolute, out var target) || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
        {
            throw RequestValidation.Invalid($"decode_endpoint '{request.DecodeEndpoint}' is not an absolute http:// or https:// address.");
        }

        if (string.IsNullOrEmpty(request.Ticket)) throw RequestValidation.Invalid("ticket is empty: a push to decode_endpoint needs the ticket its Reserve returned.");
        if (worker.Role != EngineRole.Prefill)
        {
            throw CallFailures.Status(StatusCode.FailedPrecondition, "A colocated worker does not keep KV for export: send Prefill with a decode_endpoint to a prefill worker, or Decode without a ticket here.");
        }

        return target;
    }

    private async Task<ulong> PushAsync(string ticket, Uri target, KvPushRequest push, bool corrupt, ActiveRequest active, ServerCallContext context, PushTransport transport)
    {
        PushResult result;
        using var span = KvTransferActivity.Source.StartActivity("kv_transfer.push", System.Diagnostics.ActivityKind.Producer)?
            .SetTag("server.address", target.Authority);
        var client = channels.For(target, corrupt);
        try
        {
            result = await client.PushAsync(push, active.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!active.Token.IsCancellationRequested)
        {
            var (code, cause) = PushFailure(e);
            throw CallFailures.Status(code, $"KV transfer to {target} failed ({cause}); recompute the prompt on the decode worker.");
        }
        catch (Exception e) when (active.Token.IsCancellationRequested)
        {
            throw CallFailures.Map(e is RpcException ? new OperationCanceledException(active.Token) : e, active, context);
        }
        finally
        {
            transport.Name = client.Transport;   // cuda_ipc, shared_memory or grpc: the metric tag
            span?.SetTag("cluster.kv_transfer.transport", client.Transport);
        }

        if (!result.Complete)
        {
            throw CallFailures.Status(StatusCode.Aborted, $"The decode worker {target} acknowledged the KV push of ticket {ticket} but reports it incomplete ({result.CommittedChunks} chunks); recompute the prompt on the decode worker.");
        }

        return result.CommittedBytes;
    }
}

/// <summary>The transport a push used (set when it ends), for the metric tag.</summary>
internal sealed class PushTransport
{
    public string Name { get; set; } = KvPushClient.TransportGrpc;
}
