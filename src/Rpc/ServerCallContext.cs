namespace Cluster.Rpc;

/// <summary>
/// The server-side state of one call, given to every handler. Transport-neutral: the Kestrel host
/// (Cluster.Rpc.Server) implements it and exposes the HTTP context through <c>GetHttpContext()</c>.
/// </summary>
public abstract class ServerCallContext
{
    /// <summary>The method's full name, <c>/package.Service/Method</c>.</summary>
    public abstract string Method { get; }

    /// <summary>The authority (host) the client called.</summary>
    public abstract string Host { get; }

    /// <summary>The peer's address, e.g. <c>ipv4:127.0.0.1:5000</c>.</summary>
    public abstract string Peer { get; }

    /// <summary>The call's deadline (UTC); <see cref="DateTime.MaxValue"/> when there is none.</summary>
    public abstract DateTime Deadline { get; }

    /// <summary>Metadata sent by the client.</summary>
    public abstract Metadata RequestHeaders { get; }

    /// <summary>Fires when the client cancels, the deadline passes or the connection drops.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>Trailers sent with the status when the handler returns.</summary>
    public abstract Metadata ResponseTrailers { get; }

    /// <summary>The status sent when the handler returns normally (default OK).</summary>
    public abstract Status Status { get; set; }

    /// <summary>Sends response headers now; at most once, before the first message.</summary>
    public abstract Task WriteResponseHeadersAsync(Metadata responseHeaders);
}
