using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cluster.Router.Coordination;

/// <summary>Metrics of request coordination (meter <c>Cluster.Router</c>, ARCHITECTURE §9), created through <see cref="IMeterFactory"/>.</summary>
public sealed class CoordinatorInstruments
{
    public const string MeterName = "Cluster.Router";
    public const string Decisions = "cluster.router.routing.decisions";
    public const string MatchedPrefixTokens = "cluster.router.routing.prefix_matched_tokens";
    public const string DecodeReusedTokens = "cluster.router.routing.decode_reused_tokens";
    public const string Recoveries = "cluster.router.recoveries";
    public const string AdmissionRejections = "cluster.router.admission.rejections";
    public const string QueueDepth = "cluster.router.admission.queue_depth";
    public const string WorkersSuspected = "cluster.router.workers.suspected";

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _matched;
    private readonly Counter<long> _decodeReused;
    private readonly Counter<long> _recoveries;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _suspected;

    public CoordinatorInstruments(IMeterFactory meterFactory, AdmissionQueue admission)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(admission);
        var meter = meterFactory.Create(MeterName);
        _decisions = meter.CreateCounter<long>(Decisions, "{decision}", "Routing decisions, by mode (disaggregated, local), whether the prefix index answered, reason, and the policies that decided (policy: the disaggregation policy; prefill_policy, decode_policy)");
        _matched = meter.CreateCounter<long>(MatchedPrefixTokens, "{token}", "Prompt tokens the chosen prefill worker holds in its prefix cache, per the index");
        _decodeReused = meter.CreateCounter<long>(DecodeReusedTokens, "{token}", "Reserved tokens the decode worker already held in its prefix cache (ReserveResponse.cached_tokens): not pushed");
        _recoveries = meter.CreateCounter<long>(Recoveries, "{event}", "Failures handled inside a request, by kind (prefill_retry, transfer_recompute, decode_retry, migration)");
        _rejections = meter.CreateCounter<long>(AdmissionRejections, "{request}", "Requests refused with RESOURCE_EXHAUSTED, by reason (queue_full, queue_timeout)");
        _suspected = meter.CreateCounter<long>(WorkersSuspected, "{event}", "Workers marked suspect after refusing a connection (skipped until their next heartbeat), by role");
        meter.CreateObservableGauge(QueueDepth, () => admission.Waiting, "{request}", "Requests waiting for decode headroom");
        admission.Rejected += reason => _rejections.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>
    /// One routing decision. <paramref name="reason"/>: local for <c>no_prefill_worker</c>, <c>floor</c>
    /// (Routing:MinDisaggregatedTokens), <c>same_worker</c>, <c>no_kv_endpoint</c>, <c>local_cheaper</c>; disaggregated for
    /// <c>threshold</c>, <c>unmeasured</c>, <c>transfer_cheaper</c> (<see cref="Routing.IDisaggregationPolicy"/>).
    /// <paramref name="policies"/>: the names of the router's disaggregation, prefill and decode policies
    /// (<c>Routing:DisaggregationPolicy</c>, <c>PrefillPolicy</c>, <c>DecodePolicy</c>), as tags <c>policy</c>,
    /// <c>prefill_policy</c> and <c>decode_policy</c>.
    /// </summary>
    public void Decided(bool disaggregated, bool indexAvailable, int matchedTokens, string reason, (string Disaggregation, string Prefill, string Decode) policies)
    {
        var tags = new TagList
        {
            { "mode", disaggregated ? "disaggregated" : "local" },
            { "index", indexAvailable ? "available" : "unavailable" },
            { "reason", reason },
            { "policy", policies.Disaggregation },
            { "prefill_policy", policies.Prefill },
            { "decode_policy", policies.Decode },
        };
        _decisions.Add(1, tags);
        if (matchedTokens > 0)
        {
            _matched.Add(matchedTokens);
        }
    }

    /// <summary>Tokens the decode worker reused from its own prefix cache for a reservation.</summary>
    public void DecodeReused(int tokens)
    {
        if (tokens > 0)
        {
            _decodeReused.Add(tokens);
        }
    }

    public void Recovered(string kind) => _recoveries.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void Suspected(string role) => _suspected.Add(1, new KeyValuePair<string, object?>("role", role));
}
