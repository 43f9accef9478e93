using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Engine.Scheduling;
using Cluster.Engine.Serving;
using Cluster.KvTransfer.Reservations;
using Cluster.Rpc;
using Cluster.Worker.Engine;
using Cluster.Worker.Requests;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Grpc;

/// <summary>
/// <c>Decode</c>: with a ticket, decodes from the transferred KV (the first token came from the prefill worker);
/// without one, computes prompt + generated_token_ids here and goes on. Streams only new tokens; stop.max_tokens
/// counts every output token of the request, generated_token_ids included.
/// </summary>
internal sealed class DecodeHandler(
    WorkerEngine worker, WorkerRequests requests, WorkerGuards guards, KvReservationTable reservations, IOptions<WorkerOptions> options)
{
    public async Task HandleAsync(DecodeRequest request, IServerStreamWriter<DecodeResponse> stream, ServerCallContext context)
    {
        RequestValidation.RequireId(request.RequestId);
        guards.Admit("Decode", "", EngineRole.Prefill);
        var prompt = RequestValidation.Tokens(request.PromptTokenIds, "prompt_token_ids", worker.VocabSize, required: true);
        var generated = RequestValidation.Tokens(request.GeneratedTokenIds, "generated_token_ids", worker.VocabSize, required: false);
        var maxTokens = request.Stop?.MaxTokens is > 0 and var m ? (int)Math.Min(m, int.MaxValue) : options.Value.DefaultMaxTokens;
        var imported = !string.IsNullOrEmpty(request.Ticket);
        if (imported && generated.Length != 1)
        {
            throw RequestValidation.Invalid($"generated_token_ids must hold exactly the prefill worker's first token when a ticket is given (got {generated.Length} tokens).");
        }

        var engineMaxTokens = imported ? maxTokens : maxTokens - generated.Length;
        var sampling = RequestValidation.Sampling(request.Sampling, request.Stop, Math.Max(engineMaxTokens, 1), worker.VocabSize);
        if (engineMaxTokens <= 0)
        {
            // A migrated request that already has all its tokens: nothing left to generate.
            await stream.WriteAsync(new DecodeResponse { FinishReason = FinishReason.Length }, context.CancellationToken).ConfigureAwait(false);
            return;
        }

        var id = new RequestId(request.RequestId);
        var local = imported ? prompt : [.. prompt, .. generated];
        using var active = requests.TryBegin(id, imported ? 0 : local.Length, context.CancellationToken)
            ?? throw CallFailures.Status(StatusCode.AlreadyExists, $"Request {id} is already in flight on this worker.");
        var handle = imported ? SubmitImported(id, request.Ticket, prompt, generated[0], sampling, active) : CallFailures.Submit(() => worker.Engine.Submit(id, local, sampling, active.Token));
        try
        {
            await StreamAsync(handle, imported, local.Length, request.Logprobs, active, stream).ConfigureAwait(false);
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

    private RequestHandle SubmitImported(RequestId id, string ticket, int[] prompt, int firstToken, Cluster.Engine.Sampling.SamplingParams sampling, ActiveRequest active)
    {
        active.MarkStarted();
        var reservation = reservations.Find(ticket)
            ?? throw CallFailures.Status(StatusCode.NotFound, $"Ticket {ticket} is unknown here: never issued, expired, cancelled or already decoding. Decode without a ticket to recompute the prompt.");
        if (reservation.Request != id) throw RequestValidation.Invalid($"ticket {ticket} belongs to request {reservation.Request}, not {id}.");
        if (reservation.Tokens != prompt.Length)
        {
            throw RequestValidation.Invalid($"prompt_token_ids has {prompt.Length} tokens but ticket {ticket} reserved KV for {reservation.Tokens}.");
        }

        if (reservations.TakeForDecode(ticket) is null)
        {
            throw reservations.Find(ticket) is null
                ? CallFailures.Status(StatusCode.NotFound, $"Ticket {ticket} expired or was cancelled meanwhile. Decode without a ticket to recompute the prompt.")
                : CallFailures.Status(StatusCode.FailedPrecondition, $"The KV transfer of ticket {ticket} is not complete (or a push is still running); finish the push, or decode without a ticket.");
        }

        try
        {
            return CallFailures.Submit(() => worker.Engine.SubmitImported(id, prompt, firstToken, sampling, active.Token));
        }
        catch
        {
            worker.Engine.Import.Release(id);   // the reservation left the table: free its blocks here
            throw;
        }
    }

    private async Task StreamAsync(RequestHandle handle, bool imported, int promptTokens, bool logprobs, ActiveRequest active, IServerStreamWriter<DecodeResponse> stream)
    {
        var skip = imported ? 1 : 0;   // the imported first token is the caller's already
        var index = 0;
        var reader = handle.Tokens;
        while (await reader.WaitToReadAsync(active.Token).ConfigureAwait(false))
        {
            var message = new DecodeResponse();
            while (reader.TryRead(out var token))
            {
                if (index == 0 && !imported) RecordLocalPrefill(handle, promptTokens, active);
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

    private void RecordLocalPrefill(RequestHandle handle, int promptTokens, ActiveRequest active)
    {
        active.MarkStarted();
        var cached = Math.Min(handle.CachedPromptTokens, promptTokens);
        requests.RecordPrefill(promptTokens - cached, cached);
    }
}
