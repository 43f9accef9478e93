namespace Cluster.Rpc.Server;

/// <summary>Collects a definition's methods as bindings that each run one call per HTTP request.</summary>
internal sealed class EndpointServiceBinder : ServiceBinderBase
{
    private readonly List<ServerMethodBinding> _bindings = [];

    public static IReadOnlyList<ServerMethodBinding> Bind(ServerServiceDefinition service)
    {
        var binder = new EndpointServiceBinder();
        service.BindService(binder);
        return binder._bindings;
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler) =>
        _bindings.Add(ServerMethodBinding.Unary(method, handler));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler) =>
        _bindings.Add(ServerMethodBinding.ClientStreaming(method, handler));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler) =>
        _bindings.Add(ServerMethodBinding.ServerStreaming(method, handler));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler) =>
        _bindings.Add(ServerMethodBinding.DuplexStreaming(method, handler));
}
