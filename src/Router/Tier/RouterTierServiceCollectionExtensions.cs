using Cluster.Router.Api.Text;
using Cluster.Router.Coordination;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Router.Tier;

/// <summary>Swaps the router's local seams for the router tier's grains (after <c>AddRouterTier</c> started a silo).</summary>
public static class RouterTierServiceCollectionExtensions
{
    /// <summary>
    /// Decode admission through the worker grains, request labels and cancels by id through the request grains, the
    /// lease renewer, and the view of other routers' admitted work that the policies add to the load (<see cref="TierLoadView"/>).
    /// </summary>
    public static IServiceCollection AddRouterTierSeams(this IServiceCollection services)
    {
        services.AddSingleton<GrainDecodeAdmission>();
        services.AddSingleton<IDecodeAdmission>(sp => sp.GetRequiredService<GrainDecodeAdmission>());
        services.AddSingleton<LocalRequestCanceller>();
        services.AddSingleton<GrainRequestLabels>();
        services.AddSingleton<IRequestLabels>(sp => sp.GetRequiredService<GrainRequestLabels>());
        services.AddHostedService<AdmissionLeaseRenewer>();
        services.AddSingleton<TierLoadView>();
        services.AddSingleton<IOtherRoutersLoad>(sp => sp.GetRequiredService<TierLoadView>());
        services.AddHostedService<TierLoadRefresher>();
        return services;
    }
}
