using Cluster.Rpc.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cluster.Rpc;

/// <summary>Registers the RPC server.</summary>
public static class RpcServiceCollectionExtensions
{
    /// <summary>Adds the RPC server's services and options; call before <c>MapRpcService</c>.</summary>
    public static IServiceCollection AddRpcServer(this IServiceCollection services, Action<RpcServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddRouting();
        services.AddOptions<RpcServerOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<ServerRuntime>();
        services.TryAddSingleton<UnimplementedEndpoints>();
        return services;
    }
}
