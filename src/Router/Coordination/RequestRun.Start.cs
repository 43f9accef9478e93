using Cluster.Contracts.V1;
using Cluster.Router.Routing;
using Grpc.Core;

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
            var deciding = services.Time.GetTimestamp();
            var (prefill, reason) = ChoosePrefill(promptLength);
            var decisionTime = services.Time.GetElapsedTime(deciding);
            var routing = new RoutingRequest(promptLength, Options.BlockSize, LocalPrefill: prefill is null, request.Priority);
            // Counted from the choice, not from the Prefill call: requests choosing while this one reserves on D must
            // see its tokens queued on P, or a burst all lands on the worker holding their common prefix.
            using var prefillLease = prefill is null ? null : services.Pool.InFlight.TrackPrefill(prefill.Id, routing.UncachedTokens(_overlap.MatchedBlocks(prefill.Id)), request.Priority);
            var decode = await ChooseDecodeAsync(routing, cancellationToken).ConfigureAwait(false);
            if (prefill is { } chosenPrefill)
            {
                deciding = services.Time.GetTimestamp();
                (prefill, reason) = ConfirmDisaggregation(chosenPrefill, decode, routing);
                decisionTime += services.Time.GetElapsedTime(deciding);
            }

            services.RequestInstruments.Decision((decisionTime + _decodeDecisionTime).TotalSeconds);
            _decodeDecisionTime = TimeSpan.Zero;

            // Nothing reaches a worker (nor a decode admission) before the request may run: its id claimed cluster-wide.
            await AwaitPreconditionAsync(cancellationToken).ConfigureAwait(false);
            if (prefill is null)
            {
                // Local: admitted first, then the Decode stream. Not overlapped: opening Decode makes D queue and
                // prefill the request at once, with no refusal to undo it, so an admission answered after it could
                // no longer keep routers from overbooking D (ARCHITECTURE §6, hot path).
                var admission = await services.DecodeAdmission.TryAdmitAsync(request.Id, decode, routing.BlocksNeeded, cancellationToken).ConfigureAwait(false);
                if (admission.Lease is not { } lease)
                {
                    NoRoomNow(decode, admission.Reason, admission.Pushback); // the router tier: every router's admissions fill D
                    continue;
                }

                _current = new ActiveDecode(decode, lease);
                Admitted();
                LogRouted(services.Logger, request.Id.Value, request.Label, "local", decode.Id.Value, decode.Id.Value, promptLength);
                request.Progress?.Routed("", decode.Id.Value, _generated.Count);
                services.Instruments.Decided(disaggregated: false, _overlap.IndexAvailable, 0, reason, Policies);
                OpenDecode(ticket: "", cancellationToken);
                return (null, null);
            }

            var reserving = services.Time.GetTimestamp();
            IDisposable? admitted;
            ReserveResponse? reservation;
            using (RouterActivity.Source.StartActivity("reserve", System.Diagnostics.ActivityKind.Client)?.SetTag("cluster.worker", decode.Id.Value))
            {
                (admitted, reservation) = await AdmitAndReserveAsync(decode, routing.BlocksNeeded, promptLength, cancellationToken).ConfigureAwait(false);
            }

            services.RequestInstruments.Phase("reserve", services.Time.GetElapsedTime(reserving).TotalSeconds);
            if (admitted is null || reservation is null)
            {
                continue;
            }

            _current = new ActiveDecode(decode, admitted);
            Admitted();
            LogRouted(services.Logger, request.Id.Value, request.Label, "disaggregated", prefill.Id.Value, decode.Id.Value, promptLength);
            request.Progress?.Routed(prefill.Id.Value, decode.Id.Value, _generated.Count);
            services.Instruments.Decided(disaggregated: true, _overlap.IndexAvailable, Math.Min(promptLength, _overlap.MatchedBlocks(prefill.Id) * Options.BlockSize), reason, Policies);
            var prefilling = services.Time.GetTimestamp();
            PrefillResponse? response;
            RpcException? error;
            using (var span = RouterActivity.Source.StartActivity("prefill", System.Diagnostics.ActivityKind.Client)?.SetTag("cluster.worker", prefill.Id.Value))
            {
                (response, error) = await PrefillAsync(prefill, decode, reservation, cancellationToken).ConfigureAwait(false);
                TagPrefill(span, response, reservation);
            }

            services.RequestInstruments.Phase("prefill", services.Time.GetElapsedTime(prefilling).TotalSeconds);
            if (response is not null)
            {
                TransferredTokens += promptLength - (int)Math.Min(reservation.CachedTokens, (uint)promptLength);
                if (response.TransferTotalUs > 0)
                {
                    services.RequestInstruments.Phase("kv_transfer", response.TransferTotalUs / 1e6);
                    services.RequestInstruments.Phase("kv_transfer_exposed", response.TransferExposedUs / 1e6);
                }

                services.Disaggregation.Observe(decode.Id, new TransferSample(
                    promptLength - (int)Math.Min(reservation.CachedTokens, (uint)promptLength), (long)response.TransferredBytes, (long)response.TransferExposedUs, (long)response.TransferTotalUs));
                return AfterFirstToken(response, reservation.Ticket, cancellationToken);
            }

            // The reservation goes first (awaited: the same request id may decode on this worker next).
            await CancelQuietlyAsync(decode.Id, decode.Worker.Info.GrpcEndpoint).ConfigureAwait(false);
            if (WorkerFailures.IsTransferFailure(error!.StatusCode))
            {
                LogTransferFailed(services.Logger, request.Id.Value, prefill.Id.Value, decode.Id.Value, error.StatusCode, error.Status.Detail);
                services.Instruments.Recovered("transfer_recompute");
                request.Progress?.Routed("", decode.Id.Value, _generated.Count);
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

    /// <summary>
    /// The prefill span's breakdown (traces, cluster bench cluster-ttft): tokens P and D held cached, bytes pushed, and
    /// the push's total and exposed microseconds (it starts with the prefill: total − exposed ≈ P's queue + compute).
    /// </summary>
    private static void TagPrefill(System.Diagnostics.Activity? span, PrefillResponse? response, ReserveResponse reservation)
    {
        if (span is null || response is null) return;
        span.SetTag("cluster.prefill.cached_tokens", (int)response.CachedTokens);
        span.SetTag("cluster.decode.cached_tokens", (int)reservation.CachedTokens);
        span.SetTag("cluster.kv.bytes", (long)response.TransferredBytes);
        span.SetTag("cluster.kv.total_us", (long)response.TransferTotalUs);
        span.SetTag("cluster.kv.exposed_us", (long)response.TransferExposedUs);
    }

    /// <summary>The router's policy names, as the decision metric tags them.</summary>
    private (string Disaggregation, string Prefill, string Decode) Policies => (services.Disaggregation.Name, services.PrefillPolicy.Name, services.DecodePolicy.Name);

    /// <summary>The prefill worker, or none (and why) when the decode worker prefills locally.</summary>
    private (RoutingCandidate? Prefill, string Reason) ChoosePrefill(int promptLength)
    {
        var candidates = services.Pool.Candidates(request.Model, c => c.CanPrefill, _failedPrefill);
        if (candidates.IsEmpty)
        {
            return _failedPrefill.Count == 0
                ? (null, "no_prefill_worker") // the decode worker prefills locally
                : throw CoordinatorErrors.Unavailable($"Prefill failed on every prefill worker of '{request.Model}' ({_failedPrefill.Count} tried); last: {_lastError}.");
        }

        var selection = services.PrefillPolicy.Select(candidates, _overlap, new RoutingRequest(promptLength, Options.BlockSize, Priority: request.Priority));
        if (selection.Chosen is not { } chosen)
        {
            return (null, "no_prefill_worker");
        }

        var uncached = new RoutingRequest(promptLength, Options.BlockSize).UncachedTokens(_overlap.MatchedBlocks(chosen.Id));
        return uncached < Options.MinDisaggregatedTokens ? (null, "floor") : (chosen, "");
    }

    /// <summary>Once D is chosen: P prefills and pushes to D, or D prefills itself (the same colocated worker, a D that
    /// cannot receive KV, or the disaggregation policy preferring local).</summary>
    private (RoutingCandidate? Prefill, string Reason) ConfirmDisaggregation(RoutingCandidate prefill, RoutingCandidate decode, RoutingRequest routing)
    {
        if (prefill.Id == decode.Id)
        {
            return (null, "same_worker");
        }

        if (string.IsNullOrEmpty(decode.Worker.Info.KvTransferEndpoint))
        {
            return (null, "no_kv_endpoint");
        }

        var decision = services.Disaggregation.Decide(prefill, decode, _overlap, routing);
        return (decision.Disaggregate ? prefill : null, decision.Reason);
    }

    private async Task<(PrefillResponse? Response, RpcException? Error)> PrefillAsync(
        RoutingCandidate prefill, RoutingCandidate decode, ReserveResponse reservation, CancellationToken cancellationToken)
    {
        var call = new PrefillRequest
        {
            RequestId = request.Id.Value,
            Model = request.Model.Value,
            CacheSalt = request.CacheSalt,
            Sampling = request.Sampling,
            DecodeEndpoint = decode.Worker.Info.KvTransferEndpoint,
            Ticket = reservation.Ticket,
            Logprobs = request.Logprobs,
            DecodeCachedTokens = reservation.CachedTokens, // D holds these: the push skips them
            Priority = request.Priority,
        };
        call.PromptTokenIds.AddRange(request.PromptTokens.Select(t => (uint)t));
        call.GeneratedTokenIds.AddRange(_generated.Select(t => (uint)t));
        try
        {
            return (await Client(prefill).PrefillAsync(call, CallOptions(Options.PrefillTimeout, cancellationToken)).ResponseAsync.ConfigureAwait(false), null);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            NoteFailure(prefill, e);
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
            Priority = request.Priority,
        };
        decode.PromptTokenIds.AddRange(request.PromptTokens.Select(t => (uint)t));
        decode.GeneratedTokenIds.AddRange(_generated.Select(t => (uint)t));
        DecodeOpened = services.Time.GetTimestamp();
        // The decode span covers opening the stream; its tokens are relayed under the request's span.
        using var span = RouterActivity.Source.StartActivity("decode", System.Diagnostics.ActivityKind.Client)?.SetTag("cluster.worker", _current!.Worker.Id.Value);
        _current!.Call = Client(_current.Worker).Decode(decode, new CallOptions(RouterActivity.Headers(), cancellationToken: cancellationToken));
    }
}
