using Cluster.ClusterState;
using Cluster.Contracts.V1;
using Cluster.Core.Ids;
using Cluster.Router.Routing;
using Grpc.Core;

namespace Cluster.Router.Coordination;

/// <summary>
/// One request's state machine (ARCHITECTURE §1, §7): choose P and D, Reserve on D, Prefill on P, relay D's Decode
/// stream; on failures retry another P, recompute on D, or migrate to a new D with the tokens already streamed.
/// Used by one enumerator at a time (never concurrently). See README.md in this folder.
/// </summary>
internal sealed partial class RequestRun(CoordinatorServices services, TokenizedRequest request)
{
    private readonly List<int> _generated = [];
    private readonly HashSet<WorkerId> _failedPrefill = [];
    private readonly HashSet<WorkerId> _failedDecode = [];
    private readonly Dictionary<WorkerId, string> _touched = [];
    private PrefixOverlap _overlap = PrefixOverlap.None;
    private int _cachedPromptTokens;
    private int _decodeFailures;
    private int _migrations;
    private string _lastError = "";
    private ActiveDecode? _current;

    /// <summary>Prompt tokens whose KV a prefill worker pushed to the decode worker (every disaggregated start).</summary>
    public int TransferredTokens { get; private set; }

    /// <summary>When the last decode stream was opened (TimeProvider timestamp), or null.</summary>
    public long? DecodeOpened { get; private set; }

    /// <summary>The workers this request called, for its log line.</summary>
    public string Workers => _touched.Count == 0 ? "none" : string.Join(",", _touched.Keys.Select(w => w.Value));

    /// <summary>Tokens generated so far (streamed or about to be).</summary>
    public IReadOnlyList<int> Generated => _generated;

    private RoutingOptions Options => services.Options;

    private int MaxTokens => (int)request.Stop.MaxTokens;

    /// <summary>Hashes the prompt and asks the prefix index (one round trip); an index failure means no overlap.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        services.RequestInstruments.LookedUp(request.PromptTokens.Count / Options.BlockSize * Options.BlockSize);
        _overlap = await PrefixLookup.FindAsync(services.Index, request.Model, request.PromptTokens, Options.BlockSize, request.CacheSalt, cancellationToken).ConfigureAwait(false);
        services.IndexHealth.Report(_overlap.IndexAvailable);
        if (!_overlap.IndexAvailable)
        {
            LogIndexUnavailable(services.Logger, request.Id.Value);
        }

        if (!services.Pool.HasSnapshot)
        {
            await services.Pool.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The final event.</summary>
    public CoordinatorEvent.Finished Finished(FinishReason reason) =>
        new(reason, request.PromptTokens.Count, _generated.Count, _cachedPromptTokens);

    /// <summary>
    /// Releases what the run holds. When it did not complete (client cancelled, enumerator disposed early, error),
    /// Cancel goes to every worker it touched, fire-and-forget with <c>Routing:CancelTimeout</c>; never throws.
    /// </summary>
    public void End(bool completed)
    {
        request.Progress?.Ended(_generated.Count, completed);
        Admitted();
        _current?.Dispose();
        _current = null;
        if (!completed)
        {
            foreach (var (worker, endpoint) in _touched)
            {
                _ = CancelQuietlyAsync(worker, endpoint);
            }
        }
    }

    private Worker.WorkerClient Client(RoutingCandidate worker)
    {
        _touched[worker.Id] = worker.Worker.Info.GrpcEndpoint;
        return services.Clients.For(worker.Worker.Info.GrpcEndpoint);
    }

    private CallOptions CallOptions(TimeSpan timeout, CancellationToken cancellationToken) =>
        new(RouterActivity.Headers(), services.Time.GetUtcNow().UtcDateTime + timeout, cancellationToken);

    /// <summary>A call to <paramref name="worker"/> failed: when it never connected, the worker becomes suspect for every request (logged and counted once).</summary>
    private void NoteFailure(RoutingCandidate worker, RpcException e)
    {
        if (WorkerFailures.IsConnectFailure(e) && services.Pool.Suspect(worker.Worker))
        {
            LogSuspected(services.Logger, worker.Id.Value, worker.Worker.Info.Role.ToString(), e.Status.Detail);
            services.Instruments.Suspected(worker.Worker.Info.Role.ToString().ToLowerInvariant());
        }
    }

    /// <summary>Cancel on one worker; never throws (a dead worker has nothing left to free).</summary>
    private async Task CancelQuietlyAsync(WorkerId worker, string endpoint)
    {
        try
        {
            await services.Clients.For(endpoint)
                .CancelAsync(new CancelRequest { RequestId = request.Id.Value }, CallOptions(Options.CancelTimeout, CancellationToken.None))
                .ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogCancelFailed(services.Logger, request.Id.Value, worker.Value, e.Message);
        }
    }

    private sealed class ActiveDecode(RoutingCandidate worker, IDisposable lease) : IDisposable
    {
        public RoutingCandidate Worker { get; } = worker;

        public AsyncServerStreamingCall<DecodeResponse>? Call { get; set; }

        public void Dispose()
        {
            Call?.Dispose();
            lease.Dispose();
        }
    }
}
