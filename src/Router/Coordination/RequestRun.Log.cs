using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Cluster.Router.Coordination;

internal sealed partial class RequestRun
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId} (client label {Label}) routed {Mode}: prefill {Prefill}, decode {Decode}, {PromptTokens} prompt tokens")]
    private static partial void LogRouted(ILogger logger, string requestId, string label, string mode, string prefill, string decode, int promptTokens);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId}: prefix index unavailable; routing on load alone")]
    private static partial void LogIndexUnavailable(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: prefill on {Prefill} failed ({Code}: {Detail}); trying another prefill worker")]
    private static partial void LogPrefillFailed(ILogger logger, string requestId, string prefill, StatusCode code, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: KV transfer {Prefill} -> {Decode} failed ({Code}: {Detail}); the decode worker recomputes the prompt")]
    private static partial void LogTransferFailed(ILogger logger, string requestId, string prefill, string decode, StatusCode code, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: decode worker {Decode} failed before the first token ({Reason}); trying another")]
    private static partial void LogDecodeFailed(ILogger logger, string requestId, string decode, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId}: no room now on {Workers} decode worker(s); waiting in the admission queue (at most {PauseMs} ms before reserving again; last: {Detail})")]
    private static partial void LogWaitingForRoom(ILogger logger, string requestId, int workers, long pauseMs, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: decode worker {Decode} can never hold it ({Detail}); trying another")]
    private static partial void LogDecodeRefused(ILogger logger, string requestId, string decode, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: decode worker {Decode} lost after {Generated} tokens ({Reason}); migrating")]
    private static partial void LogMigrating(ILogger logger, string requestId, string decode, int generated, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId}: Cancel on {Worker} failed: {Reason}")]
    private static partial void LogCancelFailed(ILogger logger, string requestId, string worker, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker} ({Role}) refused the connection ({Detail}): suspect, skipped by every request until its next heartbeat")]
    private static partial void LogSuspected(ILogger logger, string worker, string role, string detail);
}
