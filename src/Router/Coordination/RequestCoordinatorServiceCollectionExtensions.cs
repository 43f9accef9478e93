using Cluster.Router.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Coordination;

/// <summary>DI wiring of the request coordinator.</summary>
public static class RequestCoordinatorServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates section <c>Routing</c> at start-up, and registers <see cref="IRequestCoordinator"/>, the
    /// policies named by <c>Routing:PrefillPolicy</c>/<c>DecodePolicy</c>, the worker pool and its background refresher,
    /// the worker channels and the admission queue. Needs <see cref="ClusterState.IWorkerRegistry"/> and
    /// <see cref="ClusterState.IPrefixIndex"/> (<c>AddClusterState</c>); reads <c>Auth:ClusterToken</c> for worker calls.
    /// </summary>
    public static IServiceCollection AddRequestCoordinator(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RoutingOptions>().Bind(configuration.GetSection(RoutingOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>());
        services.AddOptions<Hosting.Auth.AuthOptions>(); // bound by the host (AddClusterHost); empty token otherwise
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddMetrics();
        services.AddOptions<SloOptions>().Bind(configuration.GetSection(SloOptions.SectionName));
        services.TryAddSingleton<CoordinatorInstruments>();
        services.TryAddSingleton<RequestInstruments>();
        services.TryAddSingleton(sp => new PrefixIndexHealth(sp.GetService<Hosting.HealthChecks.Readiness>()));
        services.TryAddSingleton<WorkerClients>();
        services.TryAddSingleton<InFlightTracker>();
        services.TryAddSingleton<IOtherRoutersLoad>(NoOtherRouters.Instance);
        services.TryAddSingleton<WorkerPool>();
        services.TryAddSingleton<AdmissionQueue>();
        services.TryAddSingleton<IDecodeAdmission>(sp => new LocalDecodeAdmission(sp.GetRequiredService<InFlightTracker>()));
        services.TryAddSingleton<IPrefillPolicy>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<RoutingOptions>>().Value;
            return RoutingPolicyFactory.CreatePrefill(o.PrefillPolicy, Random.Shared, o.DefaultPrefillTokensPerSecond);
        });
        services.TryAddSingleton<IDecodePolicy>(sp =>
            RoutingPolicyFactory.CreateDecode(sp.GetRequiredService<IOptions<RoutingOptions>>().Value.DecodePolicy, Random.Shared));
        services.TryAddSingleton<IDisaggregationPolicy>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<RoutingOptions>>().Value;
            return RoutingPolicyFactory.CreateDisaggregation(o.DisaggregationPolicy, o.TransferCostSmoothing, o.DefaultPrefillTokensPerSecond);
        });
        services.TryAddSingleton<IRequestCoordinator, RequestCoordinator>();
        services.AddHostedService<WorkerPoolRefresher>();
        return services;
    }
}
