using System.Net;
using System.Text.Json;
using Cluster.Hosting.Auth;
using Cluster.Hosting.HealthChecks;
using Cluster.Hosting.Telemetry;
using Grpc.AspNetCore.HealthChecks;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting;

/// <summary>The wiring every cluster host shares: listeners, gRPC server, health, logging.</summary>
public static partial class ClusterHostExtensions
{
    /// <summary>Largest gRPC message a host accepts: 4 MiB (grpc-dotnet's default; larger is RESOURCE_EXHAUSTED).</summary>
    public const int DefaultMaxMessageSize = 4 << 20;

    /// <summary>First run of the health-check publisher after start-up.</summary>
    public static readonly TimeSpan PublisherDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Period of the health-check publisher (ASP.NET Core's minimum, 1 s; changes of readiness are published at once).</summary>
    public static readonly TimeSpan PublisherPeriod = TimeSpan.FromSeconds(1);

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
        services.AddSingleton<Readiness>();
        // grpc.health.v1 from Grpc.AspNetCore.HealthChecks over ASP.NET Core health checks: "" = the checks tagged "ready",
        // exactly what /readyz runs (not e.g. ClusterState's, which only ever degrades). Check runs them on demand; Watch
        // reads what the publisher last published: ReadinessPublisher publishes every Readiness change at once, the
        // periodic publisher (every second) is the backstop.
        services.AddGrpcHealthChecks(o =>
            {
                o.Services.Clear();
                o.Services.Map(string.Empty, (HealthCheckMapContext c) => c.Tags.Contains(ReadinessHealthCheck.ReadyTag));
            })
            .AddCheck<ReadinessHealthCheck>(ReadinessHealthCheck.Name, tags: [ReadinessHealthCheck.ReadyTag]);
        for (var i = 0; i < services.Count; i++)
        {
            // Its publisher, made fresh-report and one-at-a-time (FreshReportPublisher: no stale periodic report after a change).
            if (services[i].ServiceType == typeof(IHealthCheckPublisher) && services[i].ImplementationType is { } publisher)
            {
                services[i] = ServiceDescriptor.Singleton<IHealthCheckPublisher>(sp => new FreshReportPublisher(
                    (IHealthCheckPublisher)ActivatorUtilities.CreateInstance(sp, publisher),
                    sp.GetRequiredService<HealthCheckService>(),
                    sp.GetRequiredService<IOptions<HealthCheckPublisherOptions>>()));
            }
        }

        services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = PublisherDelay;
            o.Period = PublisherPeriod;
        });
        services.AddHostedService<ReadinessPublisher>();
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
    /// Maps <c>grpc.health.v1.Health</c> (Grpc.AspNetCore.HealthChecks), <c>/readyz</c> (readiness: 200 when the checks
    /// tagged <see cref="ReadinessHealthCheck.ReadyTag"/> pass, else 503 with the reason), <c>/healthz</c> and its alias
    /// <c>/livez</c> (liveness: 200 until the host stops, also while not ready) and <c>/metrics</c> (Telemetry/). Both
    /// readiness answers come from <see cref="ReadinessHealthCheck"/> over <see cref="Readiness"/>: SERVING once started
    /// unless a component blocks it, NOT_SERVING when stopping.
    /// </summary>
    public static IEndpointRouteBuilder MapClusterHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var checks = app.Services.GetRequiredService<HealthCheckService>();
        var readiness = app.Services.GetRequiredService<Readiness>();
        var role = app.Services.GetRequiredService<ClusterHostDefaults>().Role;
        app.UseMiddleware<GrpcStatusMetricsTag>(); // rpc.grpc.status_code on http.server.request.duration (Telemetry/)
        app.UseMiddleware<CredentialMiddleware>();
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.ClusterToken))
        {
            LogNoClusterToken(app.Logger);
        }

        app.MapClusterTelemetry();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGet("/readyz", async (HttpContext context) =>
        {
            var report = await ReadyReportAsync(checks, context.RequestAborted);
            var ready = report.Status != HealthStatus.Unhealthy;
            context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            var reason = ready ? null : Descriptions(report, HealthStatus.Unhealthy);
            var degraded = Descriptions(report, HealthStatus.Degraded);
            return Results.Text(JsonSerializer.Serialize(new { role, status = StatusName(ready), reason, degraded }), "application/json");
        });
        // Liveness: 200 until the host stops, ready or not (the readiness status is shown, not acted on).
        var liveness = async (HttpContext context) =>
        {
            var report = await ReadyReportAsync(checks, context.RequestAborted);
            context.Response.StatusCode = readiness.Live ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            var status = StatusName(report.Status != HealthStatus.Unhealthy);
            return Results.Text(JsonSerializer.Serialize(new { role, live = readiness.Live, status }), "application/json");
        };
        app.MapGet("/healthz", liveness);
        app.MapGet("/livez", liveness);
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(readiness.Started);
        lifetime.ApplicationStopping.Register(readiness.Stopping);
        return app;
    }

    private static Task<HealthReport> ReadyReportAsync(HealthCheckService checks, CancellationToken cancellationToken) =>
        checks.CheckHealthAsync(r => r.Tags.Contains(ReadinessHealthCheck.ReadyTag), cancellationToken);

    // The grpc.health.v1 status names /readyz and /healthz have always shown.
    private static string StatusName(bool ready) => ready ? "Serving" : "NotServing";

    private static string? Descriptions(HealthReport report, HealthStatus status) =>
        string.Join("; ", report.Entries.Values.Where(e => e.Status == status).Select(e => e.Description)) is { Length: > 0 } text ? text : null;

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
