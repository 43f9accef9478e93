namespace Cluster.Rpc;

/// <summary>Per-call options: metadata, deadline and cancellation (shaped like Grpc.Core's).</summary>
public readonly struct CallOptions
{
    public CallOptions(Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        Headers = headers;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>Request metadata, or null.</summary>
    public Metadata? Headers { get; }

    /// <summary>Deadline in UTC, or null for none.</summary>
    public DateTime? Deadline { get; }

    /// <summary>Cancels the call (the HTTP/2 stream is reset).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>A copy with other headers.</summary>
    public CallOptions WithHeaders(Metadata? headers) => new(headers, Deadline, CancellationToken);

    /// <summary>A copy with another deadline.</summary>
    public CallOptions WithDeadline(DateTime? deadline) => new(Headers, deadline, CancellationToken);

    /// <summary>A copy with another cancellation token.</summary>
    public CallOptions WithCancellationToken(CancellationToken cancellationToken) => new(Headers, Deadline, cancellationToken);
}
