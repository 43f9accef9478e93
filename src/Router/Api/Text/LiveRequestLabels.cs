using System.Security.Cryptography;
using System.Text;

namespace Cluster.Router.Api.Text;

/// <summary>
/// The client labels (<c>x-request-id</c>, body <c>request_id</c>, gRPC <c>request_id</c>) of the requests this router
/// is running now. A label is only a label: workers never see it (the coordinator keys all work by the router's own
/// internal id), but two live requests may not share one, so a client can tell its responses and logs apart, and may
/// cancel its own request by it (<see cref="Cancel"/>: the same principal only). A label is free again once its request
/// ends. Thread-safe.
/// </summary>
public sealed class LiveRequestLabels : IRequestLabels
{
    private readonly Dictionary<string, LabelClaim> _live = new(StringComparer.Ordinal);

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

    /// <summary>Claims <see cref="LabelClaim.Label"/> until the returned handle is disposed.</summary>
    /// <exception cref="ApiException">Kind <see cref="ApiErrorKind.Conflict"/>: a live request already uses the label.</exception>
    public IDisposable Claim(LabelClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        lock (_live)
        {
            if (!_live.TryAdd(claim.Label, claim))
            {
                throw new ApiException(ApiErrorKind.Conflict,
                    $"A request with request id '{claim.Label}' is still running on this router; wait for it to end or choose another id.", "request_id");
            }
        }

        return new Release(this, claim);
    }

    public ValueTask<ILabelHandle> ClaimAsync(LabelClaim claim, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ILabelHandle>((Release)Claim(claim));

    /// <summary>
    /// Cancels the live request labelled <paramref name="label"/> when <paramref name="principal"/> runs it (and, when
    /// given, its internal id is <paramref name="internalId"/>): its token is cancelled, and the request ends as when its
    /// client goes away. False when there is no such request.
    /// </summary>
    public bool Cancel(string label, string principal, string? internalId = null)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(principal);
        LabelClaim? claim;
        lock (_live)
        {
            if (!_live.TryGetValue(label, out claim)
                || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(claim.Principal), Encoding.UTF8.GetBytes(principal))
                || (internalId is not null && claim.InternalId != internalId))
            {
                return false;
            }
        }

        try
        {
            _ = claim.Cancel.CancelAsync(); // callbacks run on the thread pool, not on the canceller's thread
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // it ended meanwhile
        }
    }

    public ValueTask<bool> CancelAsync(string label, string principal, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Cancel(label, principal));

    private sealed class Release(LiveRequestLabels owner, LabelClaim claim) : IDisposable, ILabelHandle
    {
        private int _done;

        public Task Confirmed => Task.CompletedTask;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                lock (owner._live)
                {
                    owner._live.Remove(claim.Label);
                }
            }
        }

        public void Ended(int tokensDelivered, bool completed)
        {
            // one router alone: nobody else reads a request's lifecycle
        }

        public void Routed(string prefillWorker, string decodeWorker, int tokensDelivered)
        {
        }
    }
}
