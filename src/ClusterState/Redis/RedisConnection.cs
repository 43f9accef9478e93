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

    public RedisConnection(IOptions<ClusterStateOptions> options, ClusterStateHealth health, ClusterStateInstruments instruments, ILogger<RedisConnection> logger,
        RedisTracing? tracing = null)
    {
        var settings = options.Value;
        _health = health;
        _instruments = instruments;
        _logger = logger;
        _timeout = settings.OperationTimeout;
        Keys = new RedisKeys(settings.KeyPrefix);

        var configuration = Configuration(settings);
        configuration.AbortOnConnectFail = false; // start even when Redis is down; reconnect in the background
        var handshake = new HandshakeAuthWatch();
        _multiplexer = ConnectionMultiplexer.Connect(configuration, handshake);
        _multiplexer.ConnectionFailed += (_, e) => LogConnectionFailed(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString());
        _multiplexer.ConnectionRestored += (_, e) => LogConnectionRestored(_logger, e.EndPoint?.ToString() ?? "?");
        ThrowIfAuthenticationFailed(configuration, handshake.Refusal);
        tracing?.Connected(_multiplexer);
        if (!_multiplexer.IsConnected)
        {
            _health.ReportFailure("not connected at start-up");
            LogNotConnectedAtStart(_logger, string.Join(',', configuration.EndPoints));
        }
    }

    /// <summary>A wrong or missing password is a configuration error, not an outage: fail start-up saying which setting to fix.</summary>
    /// <remarks>
    /// The handshake transcript is the reliable witness: between the client's retries the last recorded fault may be a
    /// socket failure, so a PING alone can fail without naming NOAUTH. PING still catches a refusal seen after start-up.
    /// </remarks>
    private void ThrowIfAuthenticationFailed(ConfigurationOptions configuration, string? handshakeRefusal)
    {
        string? refusal = _multiplexer.IsConnected ? null : handshakeRefusal;
        try
        {
            if (refusal is null)
            {
                _multiplexer.GetDatabase().Ping();
            }
        }
        catch (RedisConnectionException e) when (e.FailureType == ConnectionFailureType.AuthenticationFailure || IsAuthReply(e))
        {
            refusal = e.Message;
        }
        catch (RedisServerException e) when (IsAuthReply(e))
        {
            refusal = e.Message;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return; // unreachable or slow: an outage, handled by degrading and reconnecting
        }

        if (refusal is null)
        {
            return;
        }

        _multiplexer.Dispose();
        if (configuration.Ssl && !HasAuthReply(refusal))
        {
            // StackExchange.Redis files a failed TLS handshake (a server without TLS on that port, an untrusted
            // certificate) as AuthenticationFailure too, though no server ever judged the password.
            throw new InvalidOperationException(
                $"Redis at {string.Join(',', configuration.EndPoints)}: the TLS connection failed ({ClusterStateOptions.SectionName}:RedisTls or ssl=true is on); "
                + "check that the server serves TLS on that port and that this host trusts its certificate, or turn RedisTls off for a server without TLS. "
                + $"({Redact(refusal, configuration.Password)})");
        }

        var given = string.IsNullOrEmpty(configuration.Password) ? "no password was given" : "the password given was refused";
        throw new InvalidOperationException(
            $"Redis at {string.Join(',', configuration.EndPoints)} requires authentication and {given}: set {ClusterStateOptions.SectionName}:RedisPassword "
            + $"(environment variable ClusterState__RedisPassword) to its requirepass/ACL password. ({Redact(refusal, configuration.Password)})");
    }

    private static bool IsAuthReply(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x.Message.Contains("NOAUTH", StringComparison.Ordinal) || x.Message.Contains("WRONGPASS", StringComparison.Ordinal)
                || x.Message.Contains("authentication failure", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasAuthReply(string message) =>
        message.Contains("NOAUTH", StringComparison.Ordinal) || message.Contains("WRONGPASS", StringComparison.Ordinal);

    private static string Redact(string message, string? password) =>
        string.IsNullOrEmpty(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);

    /// <summary>The connection string with <see cref="ClusterStateOptions.RedisPassword"/> and <see cref="ClusterStateOptions.RedisTls"/> applied.</summary>
    public static ConfigurationOptions Configuration(ClusterStateOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = ConfigurationOptions.Parse(settings.RedisConnectionString);
        if (!string.IsNullOrEmpty(settings.RedisPassword))
        {
            configuration.Password = settings.RedisPassword;
        }

        if (settings.RedisTls)
        {
            configuration.Ssl = true;
        }

        return configuration;
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
