using System.Diagnostics.Metrics;
using Cluster.Hosting.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cluster.Hosting.Telemetry;

/// <summary>
/// Metrics and traces of a host through the OpenTelemetry SDK (ARCHITECTURE §9): the cluster's meters and activity
/// sources (<c>Cluster.*</c>), ASP.NET Core, HttpClient, Grpc.Net.Client (traces) and runtime instrumentation; Prometheus text at
/// <c>/metrics</c>; OTLP when an endpoint is configured.
/// </summary>
public static class ClusterTelemetryExtensions
{
    /// <summary>Prefix of every meter and activity source of ours.</summary>
    public const string SourcePattern = "Cluster.*";

    /// <summary>Adds the MeterProvider and TracerProvider (unless <c>Telemetry:Enabled=false</c>).</summary>
    public static WebApplicationBuilder AddClusterTelemetry(this WebApplicationBuilder builder, ClusterHostDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(defaults);
        var section = builder.Configuration.GetSection(TelemetryOptions.SectionName);
        builder.Services.AddOptions<TelemetryOptions>().Bind(section);
        var options = section.Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (!options.Enabled)
        {
            return builder;
        }

        var otlp = options.OtlpEndpoint is { Length: > 0 } configured ? configured : builder.Configuration[TelemetryOptions.OtlpEndpointVariable];
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("cluster-" + defaults.Role, serviceInstanceId: Environment.MachineName + "/" + Environment.ProcessId + "/" + defaults.Role))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SourcePattern)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                // Every histogram gets explicit buckets, and meters made by another host's IMeterFactory in this process
                // (cluster up runs every role in one process) are dropped, so each /metrics shows its own host only.
                ((IDeferredMeterProviderBuilder)metrics).Configure((services, b) => b.AddView(new HostMeterView(services.GetRequiredService<IMeterFactory>()).Select));
                if (otlp is { Length: > 0 })
                {
                    metrics.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(SourcePattern)
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path, options.MetricsPath))
                    .AddHttpClientInstrumentation()
                    // A client span per outgoing gRPC call (router → worker, KV push, the SDK in-process): rpc.system.name,
                    // rpc.method (service/method), rpc.response.status_code. It replaces the HttpClient span of the same call
                    // (SuppressDownstreamInstrumentation), and the callee's server span is its child.
                    .AddGrpcClientInstrumentation(o => o.SuppressDownstreamInstrumentation = true);
                if (otlp is { Length: > 0 })
                {
                    tracing.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
                }
            });
        return builder;
    }

    /// <summary>
    /// Maps the Prometheus scrape endpoint (<c>Telemetry:MetricsPath</c>). It requires the cluster token whenever one is
    /// configured, as the internal APIs do: a host bound beyond loopback always has one (HostingOptionsValidator), so
    /// its metrics are never open there; on loopback without a token it is open like everything else.
    /// </summary>
    public static WebApplication MapClusterTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!options.Enabled)
        {
            return app;
        }

        app.MapPrometheusScrapingEndpoint(options.MetricsPath).RequireClusterToken();
        return app;
    }

    private static bool IsProbe(Microsoft.AspNetCore.Http.PathString path, string metricsPath) =>
        path.StartsWithSegments(metricsPath) || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/livez") || path.StartsWithSegments("/readyz");
}
