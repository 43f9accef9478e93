using System.Net.Security;

namespace Cluster.Client;

/// <summary>Settings of a <see cref="ClusterClient"/> (configuration section <c>ClusterClient</c>).</summary>
public sealed class ClusterClientOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "ClusterClient";

    /// <summary>
    /// Router addresses, e.g. <c>http://127.0.0.1:50051</c> (h2c) or <c>https://router:50051</c> (TLS). Calls go to
    /// them in turn; a retry moves on to the next one.
    /// </summary>
    public List<Uri> Addresses { get; set; } = [];

    /// <summary>The API key sent as <c>authorization: Bearer …</c>, if the router requires one.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model used when a call names none; null lets the router pick its only model.</summary>
    public string? DefaultModel { get; set; }

    /// <summary>Deadline of calls that set none; null means no deadline.</summary>
    public TimeSpan? DefaultDeadline { get; set; }

    /// <summary>
    /// Retries of a call that failed with UNAVAILABLE or RESOURCE_EXHAUSTED before its first token (never after:
    /// a stream that has started is not repeated). Default 3.
    /// </summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First back-off delay (doubled each retry, with jitter) when the server sends no pushback. Default 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait before a retry, whatever the server asks. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Validates TLS server certificates; null uses the system's validation.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>A handler to send calls with (tests, proxies); not disposed by the client.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }
}
