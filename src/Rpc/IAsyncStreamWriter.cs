namespace Cluster.Rpc;

/// <summary>Writes a stream of messages; at most one write may be pending at a time.</summary>
public interface IAsyncStreamWriter<in T>
{
    /// <summary>Writes one message and waits until the transport has accepted it.</summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
