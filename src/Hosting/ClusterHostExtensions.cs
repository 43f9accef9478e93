using System.Net;
using System.Text.Json;
using Cluster.Hosting.Auth;
using Cluster.Hosting.HealthChecks;
using Cluster.Hosting.Telemetry;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Cluster.Hosting;

/// <summary>The wiring every cluster host shares: listeners, gRPC server, health, logging.</summary>
public static partial class ClusterHostExtensions
{
    /// <summary>Largest gRPC message a host accepts: 4 MiB (grpc-dotnet's default; larger is RESOURCE_EXHAUSTED).</summary>
    public const int DefaultMaxMessageSize = 4 << 20;

    /// <summary>
    /// Binds <see cref="HostingOptions"/> (validated at start-up), listens on a gRPC port (HTTP/2) and an HTTP/1.1
    /// port, adds the gRPC server with large HTTP/2 windows, health status and single-line console logs.
    /// </summary>
    public static WebApplicationBuilder AddClusterHost(this WebApplicationBuilder builder, ClusterHostDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(defaults);
        var services = builder.Services;
        services.AddSingleton(defaults);
        services.AddOptions<HostingOptions>()
            .Configure(o => (o.GrpcPort, o.HttpPort) = (defaults.GrpcPort, defaults.HttpPort))
            .Bind(builder.Configuration.GetSection(HostingOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<HostingOptions>, HostingOptionsValidator>();
        services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection(AuthOptions.SectionName));
        services.AddSingleton<HostEndpoints>();
        services.AddSingleton<HealthStatusRegistry>();
        services.AddSingleton<Readiness>();
        services.AddHostedService<ParentWatch>(); // Hosting:ParentPid: stop when cluster up is gone
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = DefaultMaxMessageSize;
            o.MaxSendMessageSize = null;
        });
        services.AddGrpcReflection();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<HostingOptions>, HostEndpoints>(ConfigureKestrel);

        builder.AddClusterTelemetry(defaults); // metrics, traces, /metrics (Telemetry/)
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        // Per-request framework logs are noise at Information; lifecycle stays visible. Configuration can override.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        return builder;
    }

    /// <summary>
    /// Maps <c>grpc.health.v1.Health</c>, <c>/readyz</c> (readiness: 200 when SERVING, else 503 with the reason),
    /// <c>/healthz</c> and its alias <c>/livez</c> (liveness: 200 until the host stops, also while not ready) and
    /// <c>/metrics</c> (Telemetry/). The overall status follows
    /// <see cref="Readiness"/>: SERVING once started unless a component blocks it, NOT_SERVING when stopping.
    /// </summary>
    public static IEndpointRouteBuilder MapClusterHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var registry = app.Services.GetRequiredService<HealthStatusRegistry>();
        var readiness = app.Services.GetRequiredService<Readiness>();
        var role = app.Services.GetRequiredService<ClusterHostDefaults>().Role;
        app.UseMiddleware<CredentialMiddleware>();
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.ClusterToken))
        {
            LogNoClusterToken(app.Logger);
        }

        app.MapClusterTelemetry();
        app.MapGrpcService<HealthGrpcService>();
        app.MapGrpcReflectionService();
        app.MapGet("/readyz", (HttpContext context) =>
        {
            var status = registry.GetStatus(HealthStatusRegistry.Overall) ?? ServingStatus.Unknown;
            context.Response.StatusCode = status == ServingStatus.Serving ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            var reason = status == ServingStatus.Serving ? null : readiness.Reason;
            var degraded = readiness.Degraded is { Length: > 0 } note ? note : null;
            return Results.Text(JsonSerializer.Serialize(new { role, status = status.ToString(), reason, degraded }), "application/json");
        });
        // Liveness: 200 until the host stops, ready or not (the readiness status is shown, not acted on).
        var liveness = (HttpContext context) =>
        {
            var status = registry.GetStatus(HealthStatusRegistry.Overall) ?? ServingStatus.Unknown;
            context.Response.StatusCode = readiness.Live ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            return Results.Text(JsonSerializer.Serialize(new { role, live = readiness.Live, status = status.ToString() }), "application/json");
        };
        app.MapGet("/healthz", liveness);
        app.MapGet("/livez", liveness);
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        registry.SetStatus(HealthStatusRegistry.Overall, ServingStatus.NotServing);
        lifetime.ApplicationStarted.Register(readiness.Started);
        lifetime.ApplicationStopping.Register(readiness.Stopping);
        return app;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth:ClusterToken is empty: internal APIs (Worker, KvTransfer) accept calls without credentials (allowed on loopback or with Hosting:AllowInsecure). Set it in production.")]
    private static partial void LogNoClusterToken(ILogger logger);

    private static void ConfigureKestrel(KestrelServerOptions kestrel, IOptions<HostingOptions> options, HostEndpoints endpoints)
    {
        var o = options.Value;
        var address = IPAddress.Parse(o.BindAddress);
        // Large HTTP/2 windows and frames: KV pushes and long token streams are not throttled by 64 KiB windows.
        kestrel.Limits.Http2.InitialConnectionWindowSize = 16 << 20;
        kestrel.Limits.Http2.InitialStreamWindowSize = 16 << 20;
        kestrel.Limits.Http2.MaxFrameSize = (1 << 20) - 1;
        kestrel.Listen(address, o.GrpcPort, listen =>
        {
            endpoints.Grpc = listen;
            if (o.CertificatePath is { Length: > 0 } certificate)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate, o.CertificatePassword);
                endpoints.GrpcUsesTls = true;
            }
            else
            {
                listen.Protocols = HttpProtocols.Http2;
            }
        });
        kestrel.Listen(address, o.HttpPort, listen =>
        {
            endpoints.Http = listen;
            listen.Protocols = HttpProtocols.Http1;
        });
    }
}
