namespace Cluster.Rpc.Client.Http2;

/// <summary>
/// The direct transport's connections to one address: <see cref="RpcChannelOptions.ConnectionCount"/> slots used
/// round-robin, each holding one multiplexed <see cref="Http2Connection"/>; a slot whose connection failed, is going
/// away or is at the server's stream limit gets a new one on the next call.
/// </summary>
internal sealed class Http2ConnectionPool(Uri address, RpcChannelOptions options) : IDisposable
{
    private readonly Task<Http2Connection>?[] _slots = new Task<Http2Connection>?[Math.Max(1, options.ConnectionCount)];
    private readonly List<Task<Http2Connection>> _retired = [];
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _lock = new();
    private int _next;

    /// <summary>A connection that can take a new stream (connecting first when needed).</summary>
    public async Task<Http2Connection> GetAsync(CancellationToken cancellationToken)
    {
        Task<Http2Connection> connecting;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            var slot = (int)((uint)_next++ % (uint)_slots.Length);
            var current = _slots[slot];
            if (current is null || current.IsFaulted || current.IsCanceled || (current.IsCompletedSuccessfully && !current.Result.CanOpenStream))
            {
                _retired.RemoveAll(t => t.Result.IsFailed);
                if (current is { IsCompletedSuccessfully: true } && !current.Result.IsFailed)
                {
                    _retired.Add(current); // still serving its open streams; closed with the pool
                }

                current = Http2Connection.ConnectAsync(address, options, _disposed.Token);
                _slots[slot] = current;
            }

            connecting = current;
        }

        try
        {
            return await connecting.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "The channel was disposed while connecting."));
        }
    }

    public void Dispose()
    {
        List<Task<Http2Connection>> all;
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            all = [.. _slots.OfType<Task<Http2Connection>>(), .. _retired];
        }

        foreach (var task in all.Where(t => t.IsCompletedSuccessfully))
        {
            task.Result.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
