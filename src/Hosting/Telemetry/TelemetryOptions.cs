namespace Cluster.Hosting.Telemetry;

/// <summary>Options <c>Telemetry:*</c>: metrics and traces of a host (ARCHITECTURE §9).</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>The standard OpenTelemetry variable; read when <see cref="OtlpEndpoint"/> is empty.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// False turns metrics and traces off (no MeterProvider, no TracerProvider, no <c>/metrics</c>): the "off" side of the
    /// planned telemetry-overhead comparison (ARCHITECTURE §9, not built yet). Default true.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>OTLP endpoint (e.g. <c>http://collector:4317</c>) for metrics and traces; empty (default) = no OTLP export,
    /// unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>Path of the Prometheus scrape endpoint on the HTTP port. Default <c>/metrics</c>.</summary>
    public string MetricsPath { get; set; } = "/metrics";
}
