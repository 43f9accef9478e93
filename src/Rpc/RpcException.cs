namespace Cluster.Rpc;

/// <summary>
/// A call ended with a non-OK status. Thrown to clients by call objects; thrown by server handlers to end a
/// call with <see cref="Status"/> and <see cref="Trailers"/>.
/// </summary>
public class RpcException : Exception
{
    public RpcException(Status status)
        : this(status, new Metadata())
    {
    }

    public RpcException(Status status, string message)
        : this(status, new Metadata(), message)
    {
    }

    public RpcException(Status status, Metadata trailers)
        : this(status, trailers, status.ToString())
    {
    }

    public RpcException(Status status, Metadata trailers, string message)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(trailers);
        Status = status;
        Trailers = trailers;
    }

    /// <summary>The status of the call.</summary>
    public Status Status { get; }

    /// <summary>The status code of the call.</summary>
    public StatusCode StatusCode => Status.Code;

    /// <summary>The response trailers (for example grpc-status-details-bin).</summary>
    public Metadata Trailers { get; }
}
