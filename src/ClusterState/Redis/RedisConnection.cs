using Cluster.ClusterState.Health;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cluster.ClusterState.Redis;

/// <summary>
/// One StackExchange.Redis multiplexer (one pipelined connection, reconnecting in the background) shared by the Redis
/// registry and index. <see cref="TryAsync{T}"/> is the only way they call Redis: it bounds each call by
/// <c>ClusterState:OperationTimeout</c>, turns every Redis failure into a value, and reports to <see cref="ClusterStateHealth"/>.
/// </summary>
public sealed partial class RedisConnection : IDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly ClusterStateHealth _health;
    private readonly ClusterStateInstruments _instruments;
    private readonly ILogger<RedisConnection> _logger;
    private readonly TimeSpan _timeout;

    public RedisConnection(IOptions<ClusterStateOptions> options, ClusterStateHealth health, ClusterStateInstruments instruments, ILogger<RedisConnection> logger)
    {
        var settings = options.Value;
        _health = health;
        _instruments = instruments;
        _logger = logger;
        _timeout = settings.OperationTimeout;
        Keys = new RedisKeys(settings.KeyPrefix);

        var configuration = ConfigurationOptions.Parse(settings.RedisConnectionString);
        configuration.AbortOnConnectFail = false; // start even when Redis is down; reconnect in the background
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        _multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString());
        _multiplexer.ConnectionRestored += (_, e) => LogConnectionRestored(_logger, e.EndPoint?.ToString() ?? "?");
        if (!_multiplexer.IsConnected)
        {
            _health.ReportFailure("not connected at start-up");
            LogNotConnectedAtStart(_logger, string.Join(',', configuration.EndPoints));
        }
    }

    /// <summary>The multiplexer (tests wait on its reconnect events).</summary>
    internal ConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>The key layout.</summary>
    public RedisKeys Keys { get; }

    /// <summary>
    /// Runs one Redis call. Ok = false when Redis failed, was unreachable or did not answer within the timeout; the
    /// caller then degrades. Cancellation by <paramref name="cancellationToken"/> still throws.
    /// </summary>
    public async Task<(bool Ok, T Value)> TryAsync<T>(string operation, Func<IDatabaseAsync, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            var value = await call(_multiplexer.GetDatabase()).WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
            if (_health.ReportSuccess())
            {
                LogAvailableAgain(_logger);
            }

            return (true, value);
        }
        catch (Exception e) when (e is RedisException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            _instruments.RedisError(operation);
            if (_health.ReportFailure(e.Message))
            {
                LogUnavailable(_logger, operation, e);
            }
            else
            {
                LogCallFailed(_logger, operation, e.Message);
            }

            return (false, default!);
        }
    }

    /// <summary>Round trip of a plain PING (the bound printed next to lookup latency by the benchmark).</summary>
    public Task<TimeSpan> PingAsync() => _multiplexer.GetDatabase().PingAsync();

    public void Dispose() => _multiplexer.Dispose();
}
