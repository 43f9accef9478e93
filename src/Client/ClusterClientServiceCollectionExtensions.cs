using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cluster.Client;

/// <summary>Registers a singleton <see cref="ClusterClient"/>.</summary>
public static class ClusterClientServiceCollectionExtensions
{
    /// <summary>Adds a <see cref="ClusterClient"/> configured in code.</summary>
    public static IServiceCollection AddClusterClient(this IServiceCollection services, Action<ClusterClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ClusterClientOptions>().Configure(configure);
        return AddClient(services);
    }

    /// <summary>Adds a <see cref="ClusterClient"/> bound to a configuration section (e.g. <c>ClusterClient</c>).</summary>
    public static IServiceCollection AddClusterClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<ClusterClientOptions>().Bind(section);
        return AddClient(services);
    }

    private static IServiceCollection AddClient(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new ClusterClient(sp.GetRequiredService<IOptions<ClusterClientOptions>>().Value));
        return services;
    }
}
