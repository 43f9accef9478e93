namespace Cluster.Rpc;

public sealed partial class ServerServiceDefinition
{
    /// <summary>Collects methods and handlers; each full method name may be added once.</summary>
    public sealed class Builder
    {
        private readonly List<MethodEntry> _methods = [];
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        /// <summary>Adds a unary method.</summary>
        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler) =>
            Add(method, MethodType.Unary, handler, binder => binder.AddMethod(method, handler));

        /// <summary>Adds a client-streaming method.</summary>
        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(method, MethodType.ClientStreaming, handler, binder => binder.AddMethod(method, handler));

        /// <summary>Adds a server-streaming method.</summary>
        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(method, MethodType.ServerStreaming, handler, binder => binder.AddMethod(method, handler));

        /// <summary>Adds a duplex-streaming method.</summary>
        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(method, MethodType.DuplexStreaming, handler, binder => binder.AddMethod(method, handler));

        /// <summary>The finished definition.</summary>
        public ServerServiceDefinition Build() => new([.. _methods]);

        private Builder Add<TRequest, TResponse>(
            Method<TRequest, TResponse> method,
            MethodType expected,
            Delegate handler,
            Action<ServiceBinderBase> bind)
        {
            ArgumentNullException.ThrowIfNull(method);
            ArgumentNullException.ThrowIfNull(handler);
            if (method.Type != expected)
            {
                throw new ArgumentException($"Method {method.FullName} is {method.Type}, but the handler is for {expected}.", nameof(handler));
            }

            if (!_names.Add(method.FullName))
            {
                throw new ArgumentException($"Method {method.FullName} was already added.", nameof(method));
            }

            _methods.Add(new MethodEntry(method, bind));
            return this;
        }
    }
}
