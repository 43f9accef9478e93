namespace Cluster.Rpc.Server;

/// <summary>The handler's view of the request messages.</summary>
internal sealed class ServerRequestStream<TRequest, TResponse>(HttpServerCall<TRequest, TResponse> call) : IAsyncStreamReader<TRequest>
{
    private bool _reading;

    public TRequest Current { get; private set; } = default!;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (_reading)
        {
            throw new InvalidOperationException("A read is already pending on this request stream.");
        }

        _reading = true;
        try
        {
            using var linked = cancellationToken.CanBeCanceled && cancellationToken != call.CancellationToken
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.CancellationToken)
                : null;
            var (hasMessage, message) = await call.ReadRequestAsync(linked?.Token ?? call.CancellationToken);
            Current = message;
            return hasMessage;
        }
        finally
        {
            _reading = false;
        }
    }
}
