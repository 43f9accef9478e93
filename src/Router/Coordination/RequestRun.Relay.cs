using Cluster.Contracts.V1;
using Cluster.Router.Routing;
using Grpc.Core;

namespace Cluster.Router.Coordination;

internal sealed partial class RequestRun
{
    /// <summary>
    /// Reads the next message of the decode stream. A stream lost to the worker (IsWorkerLoss, not caused by our
    /// token) or ending without a finish reason answers <c>Lost</c>: the caller starts again (<see cref="StartAsync"/>),
    /// which continues after the tokens already generated. Other errors propagate.
    /// </summary>
    public async Task<(CoordinatorEvent.Tokens? Tokens, CoordinatorEvent.Finished? End, bool Lost)> ReadAsync(CancellationToken cancellationToken)
    {
        var current = _current ?? throw new InvalidOperationException("No decode stream is open: call StartAsync first.");
        var stream = current.Call!.ResponseStream;
        try
        {
            if (!await stream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                DecodeFailed(current.Worker, "the decode stream ended without a finish reason");
                return (null, null, true);
            }
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested && WorkerFailures.IsWorkerLoss(e.StatusCode))
        {
            NoteFailure(current.Worker, e);
            DecodeFailed(current.Worker, $"decode stream: {e.StatusCode} {e.Status.Detail}");
            return (null, null, true);
        }

        var message = stream.Current;
        CoordinatorEvent.Tokens? tokens = null;
        if (message.TokenIds.Count > 0)
        {
            if (_generated.Count == 0)
            {
                // D computed the prompt itself (no ticket): its prefix-cache hit is the request's.
                _cachedPromptTokens = (int)Math.Min(message.CachedPromptTokens, (uint)request.PromptTokens.Count);
            }

            var ids = message.TokenIds.Select(t => (int)t).ToArray();
            _generated.AddRange(ids);
            IReadOnlyList<float> logprobs = request.Logprobs ? message.Logprobs.Select(l => l.Logprob).ToArray() : [];
            tokens = new CoordinatorEvent.Tokens(ids, logprobs, _cachedPromptTokens);
        }

        if (message.FinishReason == FinishReason.Unspecified)
        {
            return (tokens, null, false);
        }

        current.Dispose();
        _current = null;
        return (tokens, Finished(message.FinishReason), false);
    }

    /// <summary>
    /// D failed for this request: release it, exclude it, send it Cancel (it may be alive), and count the failure:
    /// before any token it is a decode attempt (<c>Routing:MaxDecodeAttempts</c>), after one a migration
    /// (<c>Routing:MaxMigrations</c>). Past the bound: UNAVAILABLE.
    /// </summary>
    private void DecodeFailed(RoutingCandidate decode, string reason)
    {
        _current?.Dispose();
        _current = null;
        _failedDecode.Add(decode.Id);
        _lastError = $"{reason} (worker {decode.Id})";
        _ = CancelQuietlyAsync(decode.Id, decode.Worker.Info.GrpcEndpoint);
        if (_generated.Count == 0)
        {
            LogDecodeFailed(services.Logger, request.Id.Value, decode.Id.Value, reason);
            services.Instruments.Recovered("decode_retry");
            if (++_decodeFailures >= Options.MaxDecodeAttempts)
            {
                throw CoordinatorErrors.Unavailable($"Decode failed on {_decodeFailures} worker(s) (Routing:MaxDecodeAttempts = {Options.MaxDecodeAttempts}); last: {_lastError}.");
            }

            return;
        }

        LogMigrating(services.Logger, request.Id.Value, decode.Id.Value, _generated.Count, reason);
        services.Instruments.Recovered("migration");
        if (++_migrations > Options.MaxMigrations)
        {
            throw CoordinatorErrors.Unavailable($"The decode worker was lost after {_generated.Count} tokens and the request already migrated {_migrations - 1} time(s) (Routing:MaxMigrations = {Options.MaxMigrations}); last: {_lastError}.");
        }
    }
}
