using System.Threading.Channels;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Hosting.HealthChecks;

/// <summary>
/// The serving status of each service name this host answers health checks for ("" is the whole host).
/// Thread-safe; watchers see every change in order (a slow watcher keeps only the latest status).
/// </summary>
public sealed class HealthStatusRegistry
{
    /// <summary>The name that stands for the whole host.</summary>
    public const string Overall = "";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Channel<ServingStatus>>> _watchers = new(StringComparer.Ordinal);

    /// <summary>Sets a service's status and tells its watchers.</summary>
    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_lock)
        {
            _statuses[service] = status;
            if (_watchers.TryGetValue(service, out var channels))
            {
                foreach (var channel in channels)
                {
                    channel.Writer.TryWrite(status);
                }
            }
        }
    }

    /// <summary>Marks every known service NOT_SERVING (graceful shutdown).</summary>
    public void SetAllNotServing()
    {
        lock (_lock)
        {
            foreach (var service in _statuses.Keys.ToArray())
            {
                SetStatus(service, ServingStatus.NotServing);
            }
        }
    }

    /// <summary>The status of <paramref name="service"/>, or null when the service is unknown.</summary>
    public ServingStatus? GetStatus(string service)
    {
        lock (_lock)
        {
            return _statuses.TryGetValue(service, out var status) ? status : null;
        }
    }

    /// <summary>
    /// The current status (SERVICE_UNKNOWN when unknown) followed by every change, until
    /// <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async IAsyncEnumerable<ServingStatus> WatchAsync(
        string service,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<ServingStatus>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            channel.Writer.TryWrite(_statuses.TryGetValue(service, out var current) ? current : ServingStatus.ServiceUnknown);
            if (!_watchers.TryGetValue(service, out var list))
            {
                _watchers[service] = list = [];
            }

            list.Add(channel);
        }

        try
        {
            ServingStatus? last = null;
            await foreach (var status in channel.Reader.ReadAllAsync(cancellationToken))
            {
                if (status != last)
                {
                    last = status;
                    yield return status;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers[service].Remove(channel);
            }
        }
    }
}
