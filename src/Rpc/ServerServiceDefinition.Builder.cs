using Cluster.Rpc.Server;

namespace Cluster.Rpc;

public sealed partial class ServerServiceDefinition
{
    /// <summary>Collects methods and handlers; each full method name may be added once.</summary>
    public sealed class Builder
    {
        private readonly List<ServerMethodBinding> _methods = [];
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        /// <summary>Adds a unary method.</summary>
        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler) =>
            Add(method, MethodType.Unary, handler, (m, h) => ServerMethodBinding.Unary(m, h));

        /// <summary>Adds a client-streaming method.</summary>
        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(method, MethodType.ClientStreaming, handler, (m, h) => ServerMethodBinding.ClientStreaming(m, h));

        /// <summary>Adds a server-streaming method.</summary>
        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(method, MethodType.ServerStreaming, handler, (m, h) => ServerMethodBinding.ServerStreaming(m, h));

        /// <summary>Adds a duplex-streaming method.</summary>
        public Builder AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler) =>
            Add(method, MethodType.DuplexStreaming, handler, (m, h) => ServerMethodBinding.DuplexStreaming(m, h));

        /// <summary>The finished definition.</summary>
        public ServerServiceDefinition Build() => new([.. _methods]);

        private Builder Add<TRequest, TResponse, THandler>(
            Method<TRequest, TResponse> method,
            MethodType expected,
            THandler handler,
            Func<Method<TRequest, TResponse>, THandler, ServerMethodBinding> bind)
            where THandler : Delegate
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

            _methods.Add(bind(method, handler));
            return this;
        }
    }
}
