using Cluster.ClusterState;
using Cluster.ClusterState.Redis;
using Cluster.Hosting.Auth;
using Cluster.Router.Coordination;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Batch;

/// <summary>DI and endpoints of the OpenAI Batch API (files and batches) on the router.</summary>
public static class BatchServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates section <c>Batch</c>, registers the store (Redis when <c>ClusterState:RedisConnectionString</c>
    /// is set, else <c>Batch:StorageDirectory</c>), the executor, and wraps the registered <see cref="IRequestCoordinator"/>
    /// so that online requests are counted (<see cref="OnlineLoad"/>). Call after <c>AddRequestCoordinator</c>.
    /// </summary>
    public static IServiceCollection AddBatchApi(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BatchOptions>().Bind(configuration.GetSection(BatchOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BatchOptions>, BatchOptionsValidator>());
        services.TryAddSingleton<IBatchStore>(sp => sp.GetRequiredService<IOptions<ClusterStateOptions>>().Value.UsesRedis
            ? new RedisBatchStore(sp.GetRequiredService<RedisConnection>())
            : new LocalBatchStore(sp.GetRequiredService<IOptions<BatchOptions>>().Value.StorageDirectory));
        services.TryAddSingleton(sp => new BatchJobs(sp.GetRequiredService<IBatchStore>(),
            sp.GetKeyedService<TimeProvider>(BatchJobs.ClockKey) ?? sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<BatchInstruments>();
        services.TryAddSingleton<OnlineLoad>();
        services.TryAddSingleton<BatchRequestRunner>();
        services.TryAddSingleton<BatchDispatcher>();
        services.TryAddSingleton<BatchExecutor>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchExecutor>());
        services.TryAddSingleton<BatchFilesApi>();
        services.TryAddSingleton<BatchesApi>();

        var coordinator = services.LastOrDefault(d => d.ServiceType == typeof(IRequestCoordinator));
        if (coordinator is not null)
        {
            services.Remove(coordinator);
            services.AddSingleton<IRequestCoordinator>(sp => new LoadCountingCoordinator(Create(sp, coordinator), sp.GetRequiredService<OnlineLoad>()));
        }

        return services;
    }

    /// <summary>Maps the file and batch endpoints (HTTP port), requiring an API key when <c>Auth:ApiKeys</c> is set.</summary>
    public static IEndpointRouteBuilder MapBatchApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var files = endpoints.ServiceProvider.GetRequiredService<BatchFilesApi>();
        var batches = endpoints.ServiceProvider.GetRequiredService<BatchesApi>();
        endpoints.MapPost("/v1/files", files.UploadAsync).RequireApiKey();
        endpoints.MapGet("/v1/files", files.ListAsync).RequireApiKey();
        endpoints.MapGet("/v1/files/{id}", (HttpContext c, string id) => files.GetAsync(c, id)).RequireApiKey();
        endpoints.MapGet("/v1/files/{id}/content", (HttpContext c, string id) => files.ContentAsync(c, id)).RequireApiKey();
        endpoints.MapDelete("/v1/files/{id}", (HttpContext c, string id) => files.DeleteAsync(c, id)).RequireApiKey();
        endpoints.MapPost("/v1/batches", batches.CreateAsync).RequireApiKey();
        endpoints.MapGet("/v1/batches", batches.ListAsync).RequireApiKey();
        endpoints.MapGet("/v1/batches/{id}", (HttpContext c, string id) => batches.GetAsync(c, id)).RequireApiKey();
        endpoints.MapPost("/v1/batches/{id}/cancel", (HttpContext c, string id) => batches.CancelAsync(c, id)).RequireApiKey();
        return endpoints;
    }

    private static IRequestCoordinator Create(IServiceProvider sp, ServiceDescriptor d) =>
        (IRequestCoordinator)(d.ImplementationInstance
            ?? d.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.GetServiceOrCreateInstance(sp, d.ImplementationType!));
}

/// <summary>Start-up validation of section <c>Batch</c>, naming each setting to fix.</summary>
internal sealed class BatchOptionsValidator : IValidateOptions<BatchOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
