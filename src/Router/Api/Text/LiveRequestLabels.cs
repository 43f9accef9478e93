namespace Cluster.Router.Api.Text;

/// <summary>
/// The client labels (<c>x-request-id</c>, body <c>request_id</c>, gRPC <c>request_id</c>) of the requests this router
/// is running now. A label is only a label: workers never see it (the coordinator keys all work by the router's own
/// internal id), but two live requests may not share one, so a client can tell its responses and logs apart. A label
/// is free again once its request ends. Thread-safe.
/// </summary>
public sealed class LiveRequestLabels : IRequestLabels
{
    private readonly HashSet<string> _live = new(StringComparer.Ordinal);

    /// <summary>Number of labels in use.</summary>
    public int Count
    {
        get
        {
            lock (_live)
            {
                return _live.Count;
            }
        }
    }

    /// <summary>Claims <paramref name="label"/> until the returned handle is disposed.</summary>
    /// <exception cref="ApiException">Kind <see cref="ApiErrorKind.Conflict"/>: a live request already uses the label.</exception>
    public IDisposable Claim(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        lock (_live)
        {
            if (!_live.Add(label))
            {
                throw new ApiException(ApiErrorKind.Conflict,
                    $"A request with request id '{label}' is still running on this router; wait for it to end or choose another id.", "request_id");
            }
        }

        return new Release(this, label);
    }

    public ValueTask<IAsyncDisposable> ClaimAsync(string label, string internalId, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IAsyncDisposable>((Release)Claim(label));

    private sealed class Release(LiveRequestLabels owner, string label) : IDisposable, IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                lock (owner._live)
                {
                    owner._live.Remove(label);
                }
            }
        }
    }
}
