using System.Diagnostics.Metrics;
using Cluster.ClusterState.Model;

namespace Cluster.Router.Coordination;

/// <summary>
/// Per-request metrics of the router (meter <c>Cluster.Router</c>, ARCHITECTURE §9): the OpenTelemetry GenAI server
/// latency histograms, requests, tokens, phases, routing cost, workers and the live goodput counter. Recorded by
/// <see cref="RequestMeasurement"/> and <see cref="RequestRun"/>; names are the constants below.
/// </summary>
public sealed class RequestInstruments
{
    public const string TimeToFirstToken = "gen_ai.server.time_to_first_token";
    public const string TimePerOutputToken = "gen_ai.server.time_per_output_token";
    public const string RequestDuration = "gen_ai.server.request.duration";
    public const string Requests = "cluster.router.requests";
    public const string ActiveRequests = "cluster.router.requests.active";
    public const string Tokens = "cluster.router.tokens";
    public const string InputLength = "cluster.router.request.input_tokens";
    public const string OutputLength = "cluster.router.request.output_tokens";
    public const string PhaseDuration = "cluster.router.request.phase.duration";
    public const string DecisionDuration = "cluster.router.routing.decision.duration";
    public const string LookedUpTokens = "cluster.router.routing.prefix_lookup_tokens";
    public const string Workers = "cluster.router.workers";
    public const string Goodput = "cluster.router.goodput.requests";

    private readonly Histogram<double> _ttft;
    private readonly Histogram<double> _tpot;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _requests;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _tokens;
    private readonly Histogram<long> _inputLength;
    private readonly Histogram<long> _outputLength;
    private readonly Histogram<double> _phase;
    private readonly Histogram<double> _decision;
    private readonly Counter<long> _lookedUp;
    private readonly Counter<long> _goodput;

    public RequestInstruments(IMeterFactory meterFactory, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(pool);
        var meter = meterFactory.Create(CoordinatorInstruments.MeterName);
        _ttft = meter.CreateHistogram<double>(TimeToFirstToken, "s", "Time from the request's arrival at the router to its first output token");
        _tpot = meter.CreateHistogram<double>(TimePerOutputToken, "s", "Mean time per output token after the first, per request");
        _duration = meter.CreateHistogram<double>(RequestDuration, "s", "Time from arrival to the end of the request");
        _requests = meter.CreateCounter<long>(Requests, "{request}", "Finished requests by API, outcome (ok, error, cancelled) and finish reason");
        _active = meter.CreateUpDownCounter<long>(ActiveRequests, "{request}", "Requests in progress, by API");
        _tokens = meter.CreateCounter<long>(Tokens, "{token}", "Tokens by gen_ai.token.type (input, output) and source (computed, cached, transferred, generated)");
        _inputLength = meter.CreateHistogram<long>(InputLength, "{token}", "Prompt length per request");
        _outputLength = meter.CreateHistogram<long>(OutputLength, "{token}", "Output length per request");
        _phase = meter.CreateHistogram<double>(PhaseDuration, "s", "Time per request phase: admission_wait, reserve, prefill, kv_transfer, kv_transfer_exposed, decode");
        _decision = meter.CreateHistogram<double>(DecisionDuration, "s", "Time to choose the prefill and decode workers (policies over the snapshot), per decision");
        _lookedUp = meter.CreateCounter<long>(LookedUpTokens, "{token}", "Prompt tokens in full blocks looked up in the prefix index (compare with prefix_matched_tokens)");
        _goodput = meter.CreateCounter<long>(Goodput, "{request}", "Finished requests that met or missed the SLO (Slo:*), with the violated bound (none, ttft, tpot, ttft_tpot, error)");
        meter.CreateObservableGauge(Workers, () => WorkerCounts(pool), "{worker}", "Workers in the router's live snapshot by role and state (live, suspect)");
    }

    internal void Started(string api) => _active.Add(1, Tag("api", api));

    internal void Ended(string api) => _active.Add(-1, Tag("api", api));

    internal void Phase(string phase, double seconds) => _phase.Record(seconds, Tag("phase", phase));

    internal void Decision(double seconds) => _decision.Record(seconds);

    internal void LookedUp(int tokens)
    {
        if (tokens > 0)
        {
            _lookedUp.Add(tokens);
        }
    }

    /// <summary>A finished request (every outcome): latency, counts, tokens and goodput.</summary>
    internal void Finished(in RequestSummary s)
    {
        var model = Tag("gen_ai.request.model", s.Model);
        var operation = Tag("gen_ai.operation.name", s.Operation);
        var error = Tag("error.type", s.ErrorType);
        if (s.ErrorType.Length == 0)
        {
            if (s.TimeToFirstToken is { } ttft)
            {
                _ttft.Record(ttft, model, operation);
            }

            if (s.TimePerOutputToken is { } tpot)
            {
                _tpot.Record(tpot, model, operation);
            }

            _duration.Record(s.Duration, model, operation);
        }
        else
        {
            _duration.Record(s.Duration, model, operation, error);
        }

        _requests.Add(1, Tag("api", s.Api), Tag("outcome", s.Outcome), Tag("finish_reason", s.FinishReason), model);
        AddTokens(s.ComputedTokens, "input", "computed", model);
        AddTokens(s.CachedTokens, "input", "cached", model);
        AddTokens(s.TransferredTokens, "input", "transferred", model);
        AddTokens(s.OutputTokens, "output", "generated", model);
        if (s.Outcome != RequestSummary.Cancelled)
        {
            _inputLength.Record(s.PromptTokens, model);
            _outputLength.Record(s.OutputTokens, model);
            _goodput.Add(1, model, Tag("slo", s.Violated == "none" ? "met" : "missed"), Tag("violated", s.Violated));
        }
    }

    private void AddTokens(int count, string type, string source, KeyValuePair<string, object?> model)
    {
        if (count > 0)
        {
            _tokens.Add(count, Tag("gen_ai.token.type", type), Tag("source", source), model);
        }
    }

    private static IEnumerable<Measurement<int>> WorkerCounts(WorkerPool pool) =>
        pool.Workers
            .GroupBy(w => (Role: RoleName(w.Info.Role), State: pool.IsSuspect(w.Info.Id) ? "suspect" : "live"))
            .Select(g => new Measurement<int>(g.Count(), Tag("role", g.Key.Role), Tag("state", g.Key.State)));

    private static string RoleName(WorkerRole role) => role.ToString().ToLowerInvariant();

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}
