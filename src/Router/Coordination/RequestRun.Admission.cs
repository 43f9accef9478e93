using System.Globalization;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Routing;
using Grpc.Core;

namespace Cluster.Router.Coordination;

/// <summary>
/// Admission on the decode side (ARCHITECTURE §6): choosing D, reserving on it, and waiting in the
/// <see cref="AdmissionQueue"/> while no decode worker has room. A Reserve refused with RESOURCE_EXHAUSTED and a
/// <c>grpc-retry-pushback-ms</c> trailer means "no room now": not a failure; another decode worker is tried, and when
/// every one said so the request waits (a pool change, a request of this router finishing, or the pushback /
/// <c>Routing:RefreshInterval</c>, whichever first) and reserves again. Without the trailer it means "never fits
/// here": that worker is skipped for this request, and when every decode worker refused so the request fails
/// RESOURCE_EXHAUSTED with the worker's explanation.
/// </summary>
internal sealed partial class RequestRun
{
    private readonly HashSet<WorkerId> _noRoomNow = [];
    private readonly HashSet<WorkerId> _refusedDecode = [];
    private AdmissionQueue.Place? _admission;
    private TimeSpan _roomPushback;
    private string _lastNoRoom = "";
    private TimeSpan _decodeDecisionTime;
    private long _admissionEntered;

    private async Task<RoutingCandidate> ChooseDecodeAsync(RoutingRequest routing, CancellationToken cancellationToken)
    {
        long? waitingSince = null;
        while (true)
        {
            var change = services.Pool.NextChangeAsync();
            var excluded = _noRoomNow.Count == 0 ? _failedDecode : [.. _failedDecode, .. _noRoomNow];
            var candidates = services.Pool.Candidates(request.Model, c => c.CanDecode, excluded);
            if (candidates.IsEmpty && _noRoomNow.Count == 0)
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

            var deciding = services.Time.GetTimestamp();
            var selection = candidates.IsEmpty ? null : services.DecodePolicy.Select(candidates, _overlap, routing);
            _decodeDecisionTime += services.Time.GetElapsedTime(deciding);
            if (selection?.Chosen is { } chosen)
            {
                return chosen;
            }

            await WaitInQueueAsync(change, selection?.Reason, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits in the admission queue (entering it the first time: RESOURCE_EXHAUSTED when full) for <paramref name="change"/>;
    /// after "no room now" refusals also at most their pushback or <c>Routing:RefreshInterval</c>, then those workers
    /// are tried again. RESOURCE_EXHAUSTED once <c>Routing:QueueTimeout</c> has passed since entering.
    /// </summary>
    private async Task WaitInQueueAsync(Task change, string? noHeadroom, CancellationToken cancellationToken)
    {
        var reason = _noRoomNow.Count == 0
            ? noHeadroom ?? "no decode worker has headroom"
            : $"every decode worker tried answered no room now ({string.Join(", ", _noRoomNow.Select(w => w.Value).Order(StringComparer.Ordinal))}; last: {_lastNoRoom})";
        if (_admission is null)
        {
            _admissionEntered = services.Time.GetTimestamp();
        }

        var place = _admission ??= services.Admission.Enter(reason);
        place.Reason = reason;
        if (_noRoomNow.Count == 0)
        {
            await place.WaitAsync(change, cancellationToken).ConfigureAwait(false);
            return;
        }

        var pause = _roomPushback < Options.RefreshInterval ? _roomPushback : Options.RefreshInterval;
        LogWaitingForRoom(services.Logger, request.Id.Value, _noRoomNow.Count, (long)pause.TotalMilliseconds, _lastNoRoom);
        using var stopPause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await place.WaitAsync(Task.WhenAny(change, Task.Delay(pause, services.Time, stopPause.Token)), cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            await stopPause.CancelAsync().ConfigureAwait(false);
        }

        _noRoomNow.Clear();
        _roomPushback = TimeSpan.Zero;
    }

    /// <summary>The request holds its decode capacity now: it leaves the admission queue (if it waited).</summary>
    private void Admitted()
    {
        if (_admission is not null)
        {
            services.RequestInstruments.Phase("admission_wait", services.Time.GetElapsedTime(_admissionEntered).TotalSeconds);
        }

        _admission?.Dispose();
        _admission = null;
    }

    /// <summary>
    /// Reserve on D for the tokens whose KV the prefill pushes (prompt + generated so far), with those tokens and the
    /// cache salt so that D can reuse its own prefix cache (ReserveResponse.cached_tokens). Null when D did not reserve:
    /// no room now, never fits, or failed (<see cref="DecodeFailed"/>); the caller chooses again.
    /// </summary>
    private async Task<ReserveResponse?> ReserveAsync(RoutingCandidate decode, int promptLength, CancellationToken cancellationToken)
    {
        var reserve = new ReserveRequest
        {
            RequestId = request.Id.Value,
            Model = request.Model.Value,
            PromptTokens = (uint)promptLength,
            MaxNewTokens = (uint)Math.Max(0, MaxTokens - _generated.Count),
            CacheSalt = request.CacheSalt,
        };
        reserve.TokenIds.AddRange(request.PromptTokens.Select(t => (uint)t));
        reserve.TokenIds.AddRange(_generated.Select(t => (uint)t));
        try
        {
            var response = await Client(decode).ReserveAsync(reserve, CallOptions(Options.ControlCallTimeout, cancellationToken)).ResponseAsync.ConfigureAwait(false);
            if (!string.IsNullOrEmpty(response.Ticket))
            {
                services.Instruments.DecodeReused((int)Math.Min(response.CachedTokens, (uint)promptLength));
                return response;
            }

            DecodeFailed(decode, "Reserve answered an empty ticket");
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested && e.StatusCode == StatusCode.ResourceExhausted)
        {
            Refused(decode, e);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            NoteFailure(decode, e);
            DecodeFailed(decode, $"Reserve: {e.StatusCode} {e.Status.Detail}");
        }

        return null;
    }

    /// <summary>D refused the reservation: no room now (pushback trailer) or never (none). Neither counts as a decode failure.</summary>
    private void Refused(RoutingCandidate decode, RpcException e)
    {
        _current?.Dispose(); // nothing reserved: the in-flight lease goes, which may wake other waiters
        _current = null;
        if (RetryPushback(e) is { } pushback)
        {
            NoRoomNow(decode, e.Status.Detail, pushback);
            return;
        }

        _failedDecode.Add(decode.Id);
        _refusedDecode.Add(decode.Id);
        _lastError = $"decode worker {decode.Id}: {e.Status.Detail}";
        LogDecodeRefused(services.Logger, request.Id.Value, decode.Id.Value, e.Status.Detail);
    }

    /// <summary>D has no room now (its Reserve, or the router tier's admission, said so): try the others, then wait <paramref name="pushback"/>.</summary>
    private void NoRoomNow(RoutingCandidate decode, string reason, TimeSpan pushback)
    {
        _noRoomNow.Add(decode.Id);
        _roomPushback = pushback > _roomPushback ? pushback : _roomPushback;
        _lastNoRoom = $"{decode.Id}: {reason}";
    }

    /// <summary>The positive <c>grpc-retry-pushback-ms</c> of <paramref name="e"/>, or null (absent, malformed, or negative: "do not retry").</summary>
    private static TimeSpan? RetryPushback(RpcException e) =>
        e.Trailers.GetValue(CoordinatorErrors.RetryPushbackTrailer) is { } ms
        && long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? TimeSpan.FromMilliseconds(Math.Min(value, (long)TimeSpan.FromHours(1).TotalMilliseconds))
            : null;

    private RpcException NoDecodeWorker()
    {
        if (!services.Pool.Serves(request.Model))
        {
            return CoordinatorErrors.NotFound($"No live worker serves model '{request.Model}': start a worker for it, or check the model name.");
        }

        if (_refusedDecode.Count > 0 && _refusedDecode.Count == _failedDecode.Count)
        {
            return CoordinatorErrors.ResourceExhausted($"No decode worker of '{request.Model}' can ever hold this request ({_refusedDecode.Count} refused it); last: {_lastError}");
        }

        var suspect = services.Pool.Workers
            .Where(w => w.Info.Model == request.Model && w.Info.Role is ClusterState.Model.WorkerRole.Decode or ClusterState.Model.WorkerRole.Colocated && services.Pool.IsSuspect(w.Info.Id))
            .Select(w => w.Info.Id.Value).ToList();
        return _failedDecode.Count > 0
            ? CoordinatorErrors.Unavailable($"Every decode worker of '{request.Model}' failed for this request ({_failedDecode.Count} tried); last: {_lastError}.")
            : suspect.Count > 0
            ? CoordinatorErrors.Unavailable($"Every decode worker of '{request.Model}' refused connections and is skipped until its next heartbeat: {string.Join(", ", suspect)}.")
            : CoordinatorErrors.Unavailable($"No live decode or colocated worker serves '{request.Model}' (only prefill workers are registered): start a decode worker.");
    }
}
