namespace Cluster.Rpc.Client;

/// <summary>The caller's response stream; MoveNext throws RpcException when the call ends with a non-OK status.</summary>
internal sealed class ClientResponseStream<TRequest, TResponse>(ClientCall<TRequest, TResponse> call) : IAsyncStreamReader<TResponse>
{
    public TResponse Current { get; private set; } = default!;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        var (hasMessage, message) = await call.ReadMessageAsync(cancellationToken);
        Current = message;
        return hasMessage;
    }
}
