using Cluster.Contracts.V1;
using Cluster.Hosting.Auth;
using Cluster.Router.Api.Grpc;
using Cluster.Router.Api.OpenAi;
using Cluster.Router.Api.Text;
using Cluster.Router.Models;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cluster.Router.Api;

/// <summary>DI and endpoint wiring of the router's client APIs (gRPC Inference, OpenAI HTTP).</summary>
public static class RouterApiExtensions
{
    /// <summary>Cancels the caller's running request by its client request id (<see cref="RequestCancellation"/>).</summary>
    public const string CancelPath = "/v1/requests/{id}/cancel";

    /// <summary>
    /// Binds and validates section <c>Router</c> (models, limits) at start-up, loads the model catalog before the
    /// host starts listening, and registers the text front end and both APIs. An <c>IRequestCoordinator</c> must be
    /// registered separately.
    /// </summary>
    public static IServiceCollection AddRouterApi(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RouterModelsOptions>().Bind(configuration.GetSection(RouterModelsOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RouterModelsOptions>, RouterModelsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<RequestPreparer>();
        services.TryAddSingleton<LiveRequestLabels>();
        services.TryAddSingleton<IRequestLabels>(sp => sp.GetRequiredService<LiveRequestLabels>());
        services.TryAddSingleton<TextGenerator>();
        services.TryAddSingleton<ClientPrincipals>();
        services.TryAddSingleton<RequestCancellation>();
        services.TryAddSingleton<InferenceGrpcService>();
        services.TryAddSingleton<OpenAiHandler>();
        services.AddHostedService<ModelCatalogLoader>();
        return services;
    }

    /// <summary>
    /// Maps <c>cluster.v1.Inference</c> (gRPC port) and <c>/v1/completions</c>, <c>/v1/chat/completions</c>,
    /// <c>/v1/models</c>, <c>/v1/requests/{id}/cancel</c> (HTTP port), OpenAI-style 404/405 errors for other /v1 paths and methods, all requiring an API key when <c>Auth:ApiKeys</c> is set.
    /// </summary>
    public static IEndpointRouteBuilder MapRouterApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        endpoints.MapGrpcService<InferenceGrpcService>().RequireApiKey();
        var openAi = services.GetRequiredService<OpenAiHandler>();
        endpoints.MapPost("/v1/completions", (HttpContext c) => openAi.CompletionsAsync(c, chat: false)).RequireApiKey();
        endpoints.MapPost("/v1/chat/completions", (HttpContext c) => openAi.CompletionsAsync(c, chat: true)).RequireApiKey();
        endpoints.MapGet("/v1/models", (HttpContext c) => openAi.ModelsAsync(c)).RequireApiKey();
        endpoints.MapPost(CancelPath, (HttpContext c, string id) => openAi.CancelAsync(c, id)).RequireApiKey();
        MapOpenAiMisses(endpoints);
        return endpoints;
    }

    /// <summary>405 for a known /v1 path with another method, 404 for any other /v1 path; both with an OpenAI error body.</summary>
    private static void MapOpenAiMisses(IEndpointRouteBuilder endpoints)
    {
        string[] notPost = ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
        string[] notGet = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
        foreach (var (path, allowed, others) in new[]
                 {
                     ("/v1/completions", "POST", notPost), ("/v1/chat/completions", "POST", notPost), ("/v1/models", "GET", notGet),
                     (CancelPath, "POST", notPost),
                 })
        {
            endpoints.MapMethods(path, others, (HttpContext c) =>
            {
                c.Response.Headers.Allow = allowed;
                return OpenAiErrors.WriteAsync(c, new ApiException(ApiErrorKind.MethodNotAllowed,
                    $"{c.Request.Method} is not allowed on {path}: use {allowed}."));
            }).RequireApiKey();
        }

        // Ordered after every explicit route.
        var unknown = endpoints.Map("/v1/{**rest}", (HttpContext c) => OpenAiErrors.WriteAsync(c, new ApiException(ApiErrorKind.UnknownPath,
                $"{c.Request.Method} {c.Request.Path} is not an endpoint of this server: it serves POST /v1/completions, "
                + "POST /v1/chat/completions, GET /v1/models, POST /v1/requests/{id}/cancel and the Batch API (/v1/files, /v1/batches).")));
        unknown.Add(b => ((RouteEndpointBuilder)b).Order = int.MaxValue - 2);
        unknown.RequireApiKey();
    }
}
