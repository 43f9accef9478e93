namespace Cluster.Rpc;

/// <summary>
/// Receives the methods of a <see cref="ServerServiceDefinition"/> with their typed handlers
/// (<see cref="ServerServiceDefinition.BindService"/>). A server host implements it to turn each method into an
/// endpoint; the definition itself knows nothing of any transport.
/// </summary>
public abstract class ServiceBinderBase
{
    /// <summary>Receives a unary method.</summary>
    public abstract void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler);

    /// <summary>Receives a client-streaming method.</summary>
    public abstract void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler);

    /// <summary>Receives a server-streaming method.</summary>
    public abstract void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler);

    /// <summary>Receives a duplex-streaming method.</summary>
    public abstract void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler);
}
