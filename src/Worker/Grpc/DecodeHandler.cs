using Cluster.Core.Generation;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.KvTransfer.Reservations;
using Grpc.Core;
using Cluster.Worker.Engine;
using Cluster.Worker.Requests;

namespace Cluster.Worker.Grpc;

/// <summary>
/// <c>Decode</c>: with a ticket, decodes from the transferred KV of prompt + generated_token_ids but the last (the token
/// the prefill worker sampled); without one, computes prompt + generated_token_ids here and goes on. Either way the
/// engine counts generated_token_ids as output (penalties, seeded draws) and salts its prefix cache with cache_salt.
/// Streams only new tokens; stop.max_tokens counts every output token of the request, generated_token_ids included.
/// </summary>
internal sealed class DecodeHandler(
    WorkerEngine worker, WorkerRequests requests, WorkerGuards guards, KvReservationTable reservations)
{
    public async Task HandleAsync(DecodeRequest request, IServerStreamWriter<DecodeResponse> stream, ServerCallContext context)
    {
        RequestValidation.RequireId(request.RequestId);
        guards.Admit("Decode", "", EngineRole.Prefill);
        var prompt = RequestValidation.Tokens(request.PromptTokenIds, "prompt_token_ids", worker.VocabSize, required: true);
        var generated = RequestValidation.Tokens(request.GeneratedTokenIds, "generated_token_ids", worker.VocabSize, required: false);
        var maxTokens = request.Stop?.MaxTokens is > 0 and var m ? (int)Math.Min(m, int.MaxValue) : GenerationDefaults.CompletionMaxTokens;
        var imported = !string.IsNullOrEmpty(request.Ticket);
        if (imported && generated.Length == 0)
        {
            throw RequestValidation.Invalid("generated_token_ids is empty: with a ticket it ends with the prefill worker's first token.");
        }

        var sampling = RequestValidation.Sampling(request.Sampling, request.Stop, maxTokens, worker.VocabSize);
        var priority = RequestValidation.Priority(request.Priority);
        var id = new RequestId(request.RequestId);
        if (maxTokens <= generated.Length)
        {
            // A request that already has all its tokens: nothing left to generate (nor to decode from a reservation).
            if (imported) reservations.Cancel(id);
            await stream.WriteAsync(new DecodeResponse { FinishReason = FinishReason.Length }, context.CancellationToken).ConfigureAwait(false);
            return;
        }

        var engineRequest = new EngineRequest(id, prompt, sampling) { Generated = generated, CacheSalt = request.CacheSalt, Priority = priority };
        using var active = requests.TryBegin(id, imported ? 0 : prompt.Length + generated.Length, context.CancellationToken, priority)
            ?? throw CallFailures.Status(StatusCode.AlreadyExists, $"Request {id} is already in flight on this worker.");
        var handle = imported ? SubmitImported(engineRequest, request.Ticket, active) : CallFailures.Submit(() => worker.Engine.Submit(engineRequest, active.Token));
        active.Watch(() => handle.CachedInputTokens);
        try
        {
            await StreamAsync(handle, imported, prompt.Length, generated.Length, request.Logprobs, active, stream).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw CallFailures.Map(e, active, context);
        }
        finally
        {
            if (!handle.Completion.IsCompleted) worker.Engine.Cancel(id);
        }
    }

    private RequestHandle SubmitImported(EngineRequest request, string ticket, ActiveRequest active)
    {
        active.MarkStarted();
        var id = request.Id;
        var reservation = reservations.Find(ticket)
            ?? throw CallFailures.Status(StatusCode.NotFound, $"Ticket {ticket} is unknown here: never issued, expired, cancelled or already decoding. Decode without a ticket to recompute the prompt.");
        if (reservation.Request != id) throw RequestValidation.Invalid($"ticket {ticket} belongs to request {reservation.Request}, not {id}.");
        var kvTokens = request.Prompt.Count + request.Generated.Count - 1;
        if (reservation.Tokens != kvTokens)
        {
            throw RequestValidation.Invalid(
                $"prompt_token_ids ({request.Prompt.Count}) + generated_token_ids but the last ({request.Generated.Count - 1}) make {kvTokens} tokens but ticket {ticket} reserved KV for {reservation.Tokens}.");
        }

        if (reservations.TakeForDecode(ticket) is null)
        {
            throw reservations.Find(ticket) is null
                ? CallFailures.Status(StatusCode.NotFound, $"Ticket {ticket} expired or was cancelled meanwhile. Decode without a ticket to recompute the prompt.")
                : CallFailures.Status(StatusCode.FailedPrecondition, $"The KV transfer of ticket {ticket} is not complete (or a push is still running); finish the push, or decode without a ticket.");
        }

        try
        {
            return CallFailures.Submit(() => worker.Engine.SubmitImported(request, active.Token));
        }
        catch
        {
            worker.Engine.Import.Release(id);   // the reservation left the table: free its blocks here
            throw;
        }
    }

    private async Task StreamAsync(RequestHandle handle, bool imported, int promptTokens, int generatedTokens, bool logprobs, ActiveRequest active, IServerStreamWriter<DecodeResponse> stream)
    {
        var skip = imported ? 1 : 0;   // the imported first token is the caller's already
        var index = 0;
        var reader = handle.Tokens;
        while (await reader.WaitToReadAsync(active.Token).ConfigureAwait(false))
        {
            var message = new DecodeResponse();
            while (reader.TryRead(out var token))
            {
                if (index == 0 && !imported) message.CachedPromptTokens = (uint)RecordLocalPrefill(handle, promptTokens, generatedTokens, active);
                if (index >= skip)
                {
                    message.TokenIds.Add((uint)token);
                    if (logprobs) message.Logprobs.Add(new TokenLogprob { TokenId = (uint)token, Logprob = handle.LogProbAt(index) ?? float.NaN });
                }

                index++;
            }

            if (message.TokenIds.Count > 0) await stream.WriteAsync(message, active.Token).ConfigureAwait(false);
        }

        var result = await handle.Completion.ConfigureAwait(false);
        await stream.WriteAsync(new DecodeResponse { FinishReason = WorkerGuards.Finish(result.FinishReason) }, active.Token).ConfigureAwait(false);
    }

    // The local prefill is done (its first token is out): counts it, and answers the prompt tokens taken from the cache.
    private int RecordLocalPrefill(RequestHandle handle, int promptTokens, int generatedTokens, ActiveRequest active)
    {
        active.MarkStarted();
        var cached = Math.Min(handle.CachedInputTokens, promptTokens + generatedTokens);
        requests.RecordPrefill(promptTokens + generatedTokens - cached, cached);
        return handle.CachedPromptTokens;
    }
}
