using System.Net;
using Cluster.ClusterState;
using Cluster.ClusterState.Redis;
using Cluster.Core.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Cluster.Router.Orleans.Hosting;

/// <summary>Hosts the router tier's Orleans silo in a router process.</summary>
public static class RouterTierHostingExtensions
{
    /// <summary>
    /// Binds and validates section <c>RouterTier</c>; when enabled, starts a silo with this process's router: Redis
    /// clustering on <c>ClusterState:RedisConnectionString</c> (with <c>ClusterState:RedisPassword</c> and
    /// <c>RedisTls</c>) when set, else localhost clustering (a one-router cluster). Silo and gateway listen on
    /// <c>RouterTier:AdvertisedAddress</c> (loopback unless configured), on free ports unless configured.
    /// With Redis clustering, <c>RouterTier:KubernetesHosting</c> adds Orleans' Kubernetes hosting (<see cref="KubernetesHosting"/>).
    /// Returns false when the tier is disabled (no silo; the caller keeps the local implementations).
    /// </summary>
    public static bool AddRouterTier(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(RouterTierOptions.SectionName);
        builder.Services.AddOptions<RouterTierOptions>().Bind(section).ValidateOnStart();
        var state = builder.Configuration.GetSection(ClusterStateOptions.SectionName).Get<ClusterStateOptions>() ?? new ClusterStateOptions();
        var redis = !string.IsNullOrWhiteSpace(state.RedisConnectionString);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RouterTierOptions>, RouterTierOptionsValidator>(
            _ => new RouterTierOptionsValidator(Environment.GetEnvironmentVariable, redis)));
        var tier = section.Get<RouterTierOptions>() ?? new RouterTierOptions();
        if (!tier.Enabled)
        {
            return false;
        }

        var kubernetes = KubernetesHosting.IsEnabled(tier.KubernetesHosting, Environment.GetEnvironmentVariable, redis);
        var siloPort = LoopbackPorts.Resolve(tier.SiloPort);
        var gatewayPort = LoopbackPorts.Resolve(tier.GatewayPort);
        var address = IPAddress.TryParse(tier.AdvertisedAddress, out var parsed) ? parsed : IPAddress.Loopback;
        builder.Logging.AddFilter("Orleans", LogLevel.Warning); // membership and placement chatter; lifecycle stays visible at Warning
        builder.Logging.AddFilter("Polly", LogLevel.Warning); // Orleans' placement pipeline logs every attempt at Information
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = tier.ShutdownTimeout);
        builder.Services.TryAddSingleton<RouterIdentity>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        if (!string.IsNullOrWhiteSpace(state.RedisConnectionString))
        {
            builder.Services.AddHostedService<MembershipStopBound>(); // a stop with Redis gone ends in seconds, not minutes
            builder.Services.AddHostedService<MembershipTableRestorer>(); // Redis back empty: the table is re-created with the live silos
        }

        builder.UseOrleans(silo =>
        {
            if (string.IsNullOrWhiteSpace(state.RedisConnectionString))
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: tier.ClusterId, clusterId: tier.ClusterId);
                return;
            }

            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (tier.ClusterId, tier.ClusterId));
            silo.ConfigureEndpoints(address, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            silo.UseRedisClustering(o =>
            {
                o.ConfigurationOptions = RedisConnection.Configuration(state);
                o.ConfigurationOptions.AbortOnConnectFail = false; // a Redis restart must not take the silo down
            });
            if (kubernetes)
            {
                silo.UseKubernetesHosting(); // pod name, IP and namespace from POD_*; pod and silo deaths mirrored (RBAC in the chart)
            }
        });
        return true;
    }
}
