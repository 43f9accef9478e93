namespace Cluster.Hosting;

/// <summary>Where a cluster host listens (configuration section <c>Hosting</c>).</summary>
public sealed class HostingOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Hosting";

    /// <summary>Loopback by default; listening beyond it (0.0.0.0, ::, a LAN address) needs a cluster token (see <see cref="AllowInsecure"/>).</summary>
    public const string DefaultBindAddress = "127.0.0.1";

    /// <summary>The <c>--insecure</c> command-line switch: short for <c>--Hosting:AllowInsecure=true</c>.</summary>
    public const string InsecureSwitch = "--insecure";

    /// <summary>IP address to listen on.</summary>
    public string BindAddress { get; set; } = DefaultBindAddress;

    /// <summary>
    /// Allows a non-loopback <see cref="BindAddress"/> without <c>Auth:ClusterToken</c> (and, on the router, without
    /// <c>Auth:ApiKeys</c>): anyone who reaches the port may call it. Off by default: such a host refuses to start.
    /// </summary>
    public bool AllowInsecure { get; set; }

    /// <summary>Port of the gRPC endpoint (HTTP/2: h2c, or TLS when a certificate is set); 0 = any free port.</summary>
    public int GrpcPort { get; set; } = -1;

    /// <summary>Port of the HTTP/1.1 endpoint (<c>/healthz</c>, later the OpenAI API and <c>/metrics</c>); 0 = any free port.</summary>
    public int HttpPort { get; set; } = -1;

    /// <summary>A PKCS#12 (.pfx) certificate; when set the gRPC endpoint uses TLS (h2 via ALPN).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>, if any.</summary>
    public string? CertificatePassword { get; set; }
}
