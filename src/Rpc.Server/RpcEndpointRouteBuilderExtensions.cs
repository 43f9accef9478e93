using Cluster.Rpc.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Rpc;

/// <summary>Maps RPC services onto endpoints.</summary>
public static class RpcEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps every method of <paramref name="service"/> to <c>POST /package.Service/Method</c>, plus (once per
    /// route builder) UNIMPLEMENTED answers for unknown gRPC paths. The returned builder applies conventions
    /// (authorization, filters, metadata) to the service's method endpoints.
    /// </summary>
    public static IEndpointConventionBuilder MapRpcService(this IEndpointRouteBuilder endpoints, ServerServiceDefinition service)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(service);
        var runtime = endpoints.ServiceProvider.GetService<ServerRuntime>()
            ?? throw new InvalidOperationException("Call services.AddRpcServer() before endpoints.MapRpcService(...).");
        endpoints.ServiceProvider.GetRequiredService<UnimplementedEndpoints>().MapOnce(endpoints, runtime);

        var builders = new List<IEndpointConventionBuilder>();
        foreach (var binding in EndpointServiceBinder.Bind(service))
        {
            var builder = endpoints.MapPost(binding.Method.FullName, httpContext => binding.HandleAsync(httpContext, runtime))
                .WithDisplayName("gRPC " + binding.Method.FullName)
                .WithMetadata(binding.Method);
            builders.Add(builder);
        }

        return new CompositeConventionBuilder(builders);
    }
}
