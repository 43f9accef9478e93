using Microsoft.Extensions.Logging;

namespace Cluster.Rpc.Server;

/// <summary>Source-generated log messages of the server.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Error, "Handler of {Method} threw an exception")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(2, LogLevel.Debug, "Call {Method} was aborted by the client or connection; status {StatusCode} not sent")]
    public static partial void CallAborted(ILogger logger, string method, StatusCode statusCode);

    [LoggerMessage(3, LogLevel.Debug, "Call to unknown method {Path}: UNIMPLEMENTED")]
    public static partial void Unimplemented(ILogger logger, string path);
}
