using Cluster.Contracts.V1;
using Cluster.Router.Routing;
using Cluster.Rpc;

namespace Cluster.Router.Coordination;

internal sealed partial class RequestRun
{
    /// <summary>
    /// Gets a decode stream going for the tokens generated so far: disaggregated (Reserve on D, Prefill on P, Decode
    /// with the ticket) or local (Decode without ticket: D prefills prompt + generated itself). Returns the first token
    /// when a prefill produced one, and the end when that token already ends the request. Throws NOT_FOUND,
    /// UNAVAILABLE or RESOURCE_EXHAUSTED (IRequestCoordinator's contract).
    /// </summary>
    public async Task<(CoordinatorEvent.Tokens? First, CoordinatorEvent.Finished? End)> StartAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var promptLength = request.PromptTokens.Count + _generated.Count;
            var prefill = ChoosePrefill(promptLength);
            var routing = new RoutingRequest(promptLength, Options.BlockSize, LocalPrefill: prefill is null);
            // Counted from the choice, not from the Prefill call: requests choosing while this one reserves on D must
            // see its tokens queued on P, or a burst all lands on the worker holding their common prefix.
            using var prefillLease = prefill is null ? null : services.Pool.InFlight.TrackPrefill(prefill.Id, routing.UncachedTokens(_overlap.MatchedBlocks(prefill.Id)));
            var decode = await ChooseDecodeAsync(routing, cancellationToken).ConfigureAwait(false);
            if (prefill is not null && (prefill.Id == decode.Id || string.IsNullOrEmpty(decode.Worker.Info.KvTransferEndpoint)))
            {
                prefill = null; // the same colocated worker, or a decode worker that cannot receive KV: prefill there
            }

            var lease = services.Pool.InFlight.TrackDecode(decode.Id, routing.BlocksNeeded);
            _current = new ActiveDecode(decode, lease);
            if (prefill is null)
            {
                LogRouted(services.Logger, request.Id.Value, "local", decode.Id.Value, decode.Id.Value, promptLength);
                services.Instruments.Decided(disaggregated: false, _overlap.IndexAvailable, 0);
                OpenDecode(ticket: "", cancellationToken);
                return (null, null);
            }

            var ticket = await ReserveAsync(decode, promptLength, cancellationToken).ConfigureAwait(false);
            if (ticket is null)
            {
                continue;
            }

            LogRouted(services.Logger, request.Id.Value, "disaggregated", prefill.Id.Value, decode.Id.Value, promptLength);
            services.Instruments.Decided(disaggregated: true, _overlap.IndexAvailable, Math.Min(promptLength, _overlap.MatchedBlocks(prefill.Id) * Options.BlockSize));
            var (response, error) = await PrefillAsync(prefill, decode, ticket, routing, cancellationToken).ConfigureAwait(false);
            if (response is not null)
            {
                return AfterFirstToken(response, ticket, cancellationToken);
            }

            // The reservation goes first (awaited: the same request id may decode on this worker next).
            await CancelQuietlyAsync(decode.Id, decode.Worker.Info.GrpcEndpoint).ConfigureAwait(false);
            if (WorkerFailures.IsTransferFailure(error!.StatusCode))
            {
                LogTransferFailed(services.Logger, request.Id.Value, prefill.Id.Value, decode.Id.Value, error.StatusCode, error.Status.Detail);
                services.Instruments.Recovered("transfer_recompute");
                OpenDecode(ticket: "", cancellationToken);
                return (null, null);
            }

            _current.Dispose();
            _current = null;
            _failedPrefill.Add(prefill.Id);
            _lastError = $"prefill on {prefill.Id}: {error.StatusCode} {error.Status.Detail}";
            LogPrefillFailed(services.Logger, request.Id.Value, prefill.Id.Value, error.StatusCode, error.Status.Detail);
            services.Instruments.Recovered("prefill_retry");
            if (_failedPrefill.Count >= Options.MaxPrefillAttempts)
            {
                throw CoordinatorErrors.Unavailable($"Prefill failed on {_failedPrefill.Count} worker(s) (Routing:MaxPrefillAttempts = {Options.MaxPrefillAttempts}); last: {_lastError}.");
            }
        }
    }

    private RoutingCandidate? ChoosePrefill(int promptLength)
    {
        var candidates = services.Pool.Candidates(request.Model, c => c.CanPrefill, _failedPrefill);
        if (candidates.IsEmpty)
        {
            return _failedPrefill.Count == 0
                ? null // no prefill worker: the decode worker prefills locally
                : throw CoordinatorErrors.Unavailable($"Prefill failed on every prefill worker of '{request.Model}' ({_failedPrefill.Count} tried); last: {_lastError}.");
        }

        var selection = services.PrefillPolicy.Select(candidates, _overlap, new RoutingRequest(promptLength, Options.BlockSize));
        if (selection.Chosen is not { } chosen)
        {
            return null;
        }

        var uncached = new RoutingRequest(promptLength, Options.BlockSize).UncachedTokens(_overlap.MatchedBlocks(chosen.Id));
        return uncached < Options.MinDisaggregatedTokens ? null : chosen;
    }

    private async Task<RoutingCandidate> ChooseDecodeAsync(RoutingRequest routing, CancellationToken cancellationToken)
    {
        AdmissionQueue.Place? place = null;
        long? waitingSince = null;
        try
        {
            while (true)
            {
                var change = services.Pool.NextChangeAsync();
                var candidates = services.Pool.Candidates(request.Model, c => c.CanDecode, _failedDecode);
                if (candidates.IsEmpty)
                {
                    // None live: re-read the registry at once, then wait (bounded by Routing:NoWorkerWait) for one to
                    // (re)register, e.g. after a worker restart or a registry that restarted empty.
                    var first = waitingSince is null;
                    waitingSince ??= System.Diagnostics.Stopwatch.GetTimestamp();
                    var left = Options.NoWorkerWait - System.Diagnostics.Stopwatch.GetElapsedTime(waitingSince.Value);
                    if (!first && (left <= TimeSpan.Zero || _failedDecode.Count > 0))
                    {
                        throw NoDecodeWorker();
                    }

                    if (!first)
                    {
                        var pause = left < Options.RefreshInterval ? left : Options.RefreshInterval;
                        await Task.WhenAny(change, Task.Delay(pause, cancellationToken)).ConfigureAwait(false);
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    await services.Pool.RefreshAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var selection = services.DecodePolicy.Select(candidates, _overlap, routing);
                if (selection.Chosen is { } chosen)
                {
                    return chosen;
                }

                place ??= services.Admission.Enter(selection.Reason);
                await place.WaitAsync(change, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            place?.Dispose();
        }
    }

    private RpcException NoDecodeWorker()
    {
        if (!services.Pool.Serves(request.Model))
        {
            return CoordinatorErrors.NotFound($"No live worker serves model '{request.Model}': start a worker for it, or check the model name.");
        }

        return _failedDecode.Count > 0
            ? CoordinatorErrors.Unavailable($"Every decode worker of '{request.Model}' failed for this request ({_failedDecode.Count} tried); last: {_lastError}.")
            : CoordinatorErrors.Unavailable($"No live decode or colocated worker serves '{request.Model}' (only prefill workers are registered): start a decode worker.");
    }

    private async Task<string?> ReserveAsync(RoutingCandidate decode, int promptLength, CancellationToken cancellationToken)
    {
        var reserve = new ReserveRequest
        {
            RequestId = request.Id.Value,
            Model = request.Model.Value,
            PromptTokens = (uint)promptLength,
            MaxNewTokens = (uint)Math.Max(0, MaxTokens - _generated.Count),
        };
        try
        {
            var response = await Client(decode).ReserveAsync(reserve, CallOptions(Options.ControlCallTimeout, cancellationToken)).ResponseAsync.ConfigureAwait(false);
            if (!string.IsNullOrEmpty(response.Ticket))
            {
                return response.Ticket;
            }

            DecodeFailed(decode, "Reserve answered an empty ticket");
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            DecodeFailed(decode, $"Reserve: {e.StatusCode} {e.Status.Detail}");
        }

        return null;
    }

    private async Task<(PrefillResponse? Response, RpcException? Error)> PrefillAsync(
        RoutingCandidate prefill, RoutingCandidate decode, string ticket, RoutingRequest routing, CancellationToken cancellationToken)
    {
        var call = new PrefillRequest
        {
            RequestId = request.Id.Value,
            Model = request.Model.Value,
            CacheSalt = request.CacheSalt,
            Sampling = request.Sampling,
            DecodeEndpoint = decode.Worker.Info.KvTransferEndpoint,
            Ticket = ticket,
            Logprobs = request.Logprobs,
        };
        call.PromptTokenIds.AddRange(request.PromptTokens.Select(t => (uint)t));
        call.GeneratedTokenIds.AddRange(_generated.Select(t => (uint)t));
        try
        {
            return (await Client(prefill).PrefillAsync(call, CallOptions(Options.PrefillTimeout, cancellationToken)).ResponseAsync.ConfigureAwait(false), null);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            _ = CancelQuietlyAsync(prefill.Id, prefill.Worker.Info.GrpcEndpoint);
            return (null, e);
        }
    }

    private (CoordinatorEvent.Tokens First, CoordinatorEvent.Finished? End) AfterFirstToken(PrefillResponse response, string ticket, CancellationToken cancellationToken)
    {
        var token = (int)response.FirstTokenId;
        if (_generated.Count == 0)
        {
            _cachedPromptTokens = (int)response.CachedTokens;
        }

        _generated.Add(token);
        var first = new CoordinatorEvent.Tokens([token], request.Logprobs ? [response.FirstTokenLogprob] : [], _cachedPromptTokens);
        var end = _generated.Count >= MaxTokens ? FinishReason.Length
            : request.Stop.StopTokenIds.Contains((uint)token) ? FinishReason.Stop
            : FinishReason.Unspecified;
        if (end != FinishReason.Unspecified)
        {
            var decode = _current!.Worker;
            _current.Dispose();
            _current = null;
            _ = CancelQuietlyAsync(decode.Id, decode.Worker.Info.GrpcEndpoint); // frees the reservation
            return (first, Finished(end));
        }

        OpenDecode(ticket, cancellationToken);
        return (first, null);
    }

    /// <summary>
    /// Opens D's Decode stream: the prompt, every token generated so far (counted as output by D's sampling, also after a
    /// migration) and the request's <c>max_tokens</c>, which counts them. Without a ticket D computes prompt + generated
    /// itself; with one (the worker contract) the reserved KV covers the prompt and every generated token but the last,
    /// the prefill's first token.
    /// </summary>
    private void OpenDecode(string ticket, CancellationToken cancellationToken)
    {
        var decode = new DecodeRequest
        {
            RequestId = request.Id.Value,
            Ticket = ticket,
            Sampling = request.Sampling,
            Stop = request.Stop,
            Logprobs = request.Logprobs,
            CacheSalt = request.CacheSalt,
        };
        decode.PromptTokenIds.AddRange(request.PromptTokens.Select(t => (uint)t));
        decode.GeneratedTokenIds.AddRange(_generated.Select(t => (uint)t));
        _current!.Call = Client(_current.Worker).Decode(decode, new CallOptions(cancellationToken: cancellationToken));
    }
}
