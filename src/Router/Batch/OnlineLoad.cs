using System.Runtime.CompilerServices;
using Cluster.Router.Coordination;

namespace Cluster.Router.Batch;

/// <summary>Online (non-batch) requests in flight on this router, which the batch executor yields to.</summary>
public sealed class OnlineLoad(TimeProvider clock)
{
    private int _inFlight;
    private long _lastEnded = long.MinValue / 2;

    /// <summary>Raised when an online request ends (the batch may take its capacity back).</summary>
    public event Action? Changed;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>True while online requests run, or one ended less than <paramref name="grace"/> ago (interactive traffic comes in bursts).</summary>
    public bool Busy(int threshold, TimeSpan grace) =>
        InFlight >= threshold || (grace > TimeSpan.Zero && clock.GetElapsedTime(Interlocked.Read(ref _lastEnded)) < grace);

    internal void Enter() => Interlocked.Increment(ref _inFlight);

    internal void Leave()
    {
        Interlocked.Exchange(ref _lastEnded, clock.GetTimestamp());
        Interlocked.Decrement(ref _inFlight);
        Changed?.Invoke();
    }
}

/// <summary>Counts the router's online requests around the real coordinator; batch requests (<c>api=batch</c>) are not counted.</summary>
internal sealed class LoadCountingCoordinator(IRequestCoordinator inner, OnlineLoad load) : IRequestCoordinator
{
    public IRequestCoordinator Inner => inner;

    public async IAsyncEnumerable<CoordinatorEvent> RunAsync(TokenizedRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var online = request.Api != BatchRequestRunner.Api;
        if (online)
        {
            load.Enter();
        }

        try
        {
            await foreach (var e in inner.RunAsync(request, cancellationToken).WithCancellation(cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            if (online)
            {
                load.Leave();
            }
        }
    }
}
