using Cluster.Contracts.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Cluster.Router.Coordination;

/// <summary>
/// Watches one request's events from arrival to end and, at the end, records its metrics
/// (<see cref="RequestInstruments"/>), judges it against the SLO (<see cref="SloOptions"/>) and writes the one log line
/// per finished request. A client that went away is an outcome (<c>cancelled</c>), not an error: no stack trace.
/// </summary>
internal sealed partial class RequestMeasurement
{
    private readonly RequestInstruments _instruments;
    private readonly SloOptions _slo;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TokenizedRequest _request;
    private readonly long _start;
    private long? _firstToken;
    private int _outputTokens;
    private int _cachedTokens;
    private CoordinatorEvent.Finished? _finished;
    private Exception? _error;

    public RequestMeasurement(RequestInstruments instruments, SloOptions slo, TimeProvider time, ILogger logger, TokenizedRequest request)
    {
        (_instruments, _slo, _time, _logger, _request) = (instruments, slo, time, logger, request);
        _start = time.GetTimestamp();
        instruments.Started(Api);
    }

    private string Api => _request.Api.Length > 0 ? _request.Api : "internal";

    /// <summary>An event the coordinator yields.</summary>
    public void Saw(CoordinatorEvent e)
    {
        switch (e)
        {
            case CoordinatorEvent.Tokens tokens:
                _firstToken ??= _time.GetTimestamp();
                _outputTokens += tokens.Ids.Count;
                _cachedTokens = tokens.CachedPromptTokens;
                break;
            case CoordinatorEvent.Finished finished:
                _finished = finished;
                _cachedTokens = finished.CachedPromptTokens;
                break;
        }
    }

    /// <summary>The request failed with <paramref name="error"/> (rethrown by the caller).</summary>
    public void Failed(Exception error) => _error = error;

    /// <summary>The end, whatever it was: records once. <paramref name="clientGone"/>: the caller's token was cancelled.</summary>
    public void End(RequestRun run, bool clientGone)
    {
        _instruments.Ended(Api);
        var end = _time.GetTimestamp();
        var duration = _time.GetElapsedTime(_start, end).TotalSeconds;
        double? ttft = _firstToken is { } first ? _time.GetElapsedTime(_start, first).TotalSeconds : null;
        double? tpot = _firstToken is { } f && _outputTokens > 1 ? _time.GetElapsedTime(f, end).TotalSeconds / (_outputTokens - 1) : null;
        var (outcome, errorType) = _finished is not null ? (RequestSummary.Ok, "")
            : clientGone || _error is OperationCanceledException ? (RequestSummary.Cancelled, "")
            : _error is RpcException rpc ? (RequestSummary.Error, rpc.StatusCode.ToString())
            : _error is Api.ApiException api ? (RequestSummary.Error, api.Kind.ToString()) // e.g. Conflict: the id is another router's request
            : _error is not null ? (RequestSummary.Error, _error.GetType().FullName ?? "exception")
            : (RequestSummary.Ok, ""); // the front end ended it early (a stop string matched)
        var finishReason = _finished?.Reason switch
        {
            FinishReason.Stop => "stop",
            FinishReason.Length => "length",
            null when outcome == RequestSummary.Ok => "stop",
            { } other => other.ToString().ToLowerInvariant(),
            null => "none",
        };
        var summary = new RequestSummary(
            Api, _request.Model.Value, _request.Operation, outcome, finishReason, errorType, ttft, tpot, duration,
            _request.PromptTokens.Count, _cachedTokens, run.TransferredTokens, _outputTokens, Violated(outcome, ttft, tpot));
        _instruments.Finished(summary);
        if (run.DecodeOpened is { } opened && outcome == RequestSummary.Ok)
        {
            _instruments.Phase("decode", _time.GetElapsedTime(opened, end).TotalSeconds);
        }

        LogFinished(_logger, _request.Id.Value, _request.Label, summary.Model, outcome, errorType, finishReason, summary.PromptTokens,
            summary.CachedTokens, summary.OutputTokens, (ttft ?? double.NaN) * 1000, duration * 1000, run.Workers);
    }

    private string Violated(string outcome, double? ttft, double? tpot)
    {
        if (outcome == RequestSummary.Error)
        {
            return "error";
        }

        var slowFirst = ttft is { } t && t > _slo.TimeToFirstToken.TotalSeconds;
        var slowNext = tpot is { } p && p > _slo.TimePerOutputToken.TotalSeconds;
        return (slowFirst, slowNext) switch
        {
            (true, true) => "ttft_tpot",
            (true, false) => "ttft",
            (false, true) => "tpot",
            _ => "none",
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} (label {Label}) model {Model} finished {Outcome} {ErrorType} reason {FinishReason}: prompt {PromptTokens} tokens ({CachedTokens} cached), output {OutputTokens}, TTFT {TtftMs:F1} ms, duration {DurationMs:F1} ms, workers {Workers}")]
    private static partial void LogFinished(ILogger logger, string requestId, string label, string model, string outcome, string errorType, string finishReason,
        int promptTokens, int cachedTokens, int outputTokens, double ttftMs, double durationMs, string workers);
}
