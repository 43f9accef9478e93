using Cluster.ClusterState.Health;
using Cluster.ClusterState.Hosting;
using Cluster.ClusterState.InMemory;
using Cluster.ClusterState.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cluster.ClusterState;

/// <summary>DI wiring of cluster state.</summary>
public static class ClusterStateServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates section <c>ClusterState</c> (at start-up), and registers <see cref="IWorkerRegistry"/> and
    /// <see cref="IPrefixIndex"/>: the Redis implementations when <c>ClusterState:RedisConnectionString</c> is set, the
    /// in-memory ones otherwise; plus <see cref="ClusterStateHealth"/>, its health check, metrics and the expired-worker sweeper.
    /// </summary>
    public static IServiceCollection AddClusterState(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ClusterStateOptions>().Bind(configuration.GetSection(ClusterStateOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterStateOptions>, ClusterStateOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddLogging();
        services.TryAddSingleton<ClusterStateInstruments>();
        services.TryAddSingleton(sp => new ClusterStateHealth(
            sp.GetRequiredService<TimeProvider>(), embedded: !sp.GetRequiredService<IOptions<ClusterStateOptions>>().Value.UsesRedis));

        if (!services.Any(d => d.ServiceType == typeof(RedisTracing)))
        {
            services.AddSingleton<RedisTracing>();
            RedisTracing.AddTo(services);
        }

        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<RedisPrefixIndex>();
        services.TryAddSingleton<RedisWorkerRegistry>();
        services.TryAddSingleton<InMemoryPrefixIndex>();
        services.TryAddSingleton(sp => new InMemoryWorkerRegistry(
            sp.GetRequiredService<InMemoryPrefixIndex>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ClusterStateOptions>>(),
            sp.GetRequiredService<ClusterStateInstruments>()));

        services.TryAddSingleton<IPrefixIndex>(sp => UsesRedis(sp)
            ? sp.GetRequiredService<RedisPrefixIndex>()
            : sp.GetRequiredService<InMemoryPrefixIndex>());
        services.TryAddSingleton<IWorkerRegistry>(sp => UsesRedis(sp)
            ? sp.GetRequiredService<RedisWorkerRegistry>()
            : sp.GetRequiredService<InMemoryWorkerRegistry>());

        services.AddHostedService<ExpiredWorkerSweeper>();
        services.AddHealthChecks().AddCheck<ClusterStateHealthCheck>(ClusterStateHealthCheck.Name);
        return services;
    }

    private static bool UsesRedis(IServiceProvider services) => services.GetRequiredService<IOptions<ClusterStateOptions>>().Value.UsesRedis;
}
