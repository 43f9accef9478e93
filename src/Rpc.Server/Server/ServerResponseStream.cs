namespace Cluster.Rpc.Server;

/// <summary>The handler's response stream; one pending write at a time.</summary>
internal sealed class ServerResponseStream<TRequest, TResponse>(HttpServerCall<TRequest, TResponse> call) : IServerStreamWriter<TResponse>
{
    public async Task WriteAsync(TResponse message, CancellationToken cancellationToken = default)
    {
        using var linked = cancellationToken.CanBeCanceled && cancellationToken != call.CancellationToken
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.CancellationToken)
            : null;
        await call.WriteMessageAsync(message, linked?.Token ?? call.CancellationToken);
    }
}
