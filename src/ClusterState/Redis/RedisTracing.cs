using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace Cluster.ClusterState.Redis;

/// <summary>
/// Redis commands as trace spans (OpenTelemetry.Instrumentation.StackExchangeRedis): the host's TracerProvider, if it has
/// one (<c>Telemetry:Enabled</c>), gets the instrumentation, and the multiplexer of <see cref="RedisConnection"/> is
/// handed to it once both exist, whichever comes first. The embedded (in-memory) state opens no connection, so it adds
/// nothing. Spans are flushed every <see cref="FlushInterval"/>.
/// </summary>
public sealed class RedisTracing
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private IConnectionMultiplexer? _multiplexer;
    private Action<IConnectionMultiplexer>? _attach;

    /// <summary>Registers the instrumentation with any TracerProvider the host builds.</summary>
    internal static void AddTo(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddRedisInstrumentation(o => o.FlushInterval = FlushInterval)
            .ConfigureRedisInstrumentation((sp, instrumentation) => sp.GetRequiredService<RedisTracing>().Attach(m => instrumentation.AddConnection(m))));

    internal void Connected(IConnectionMultiplexer multiplexer)
    {
        Action<IConnectionMultiplexer>? attach;
        lock (_gate)
        {
            _multiplexer = multiplexer;
            attach = _attach;
        }

        attach?.Invoke(multiplexer);
    }

    private void Attach(Action<IConnectionMultiplexer> attach)
    {
        IConnectionMultiplexer? multiplexer;
        lock (_gate)
        {
            _attach = attach;
            multiplexer = _multiplexer;
        }

        if (multiplexer is not null) attach(multiplexer);
    }
}
