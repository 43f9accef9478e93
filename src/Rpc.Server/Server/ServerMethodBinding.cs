using Microsoft.AspNetCore.Http;

namespace Cluster.Rpc.Server;

/// <summary>A method bound to its handler; runs one call per HTTP request.</summary>
internal abstract class ServerMethodBinding
{
    public abstract IMethod Method { get; }

    public abstract Task HandleAsync(HttpContext httpContext, ServerRuntime runtime);

    public static ServerMethodBinding Unary<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler) =>
        new ServerMethodBinding<TRequest, TResponse>(method, async call =>
        {
            var request = await call.ReadSingleRequestAsync();
            var response = await handler(request, call);
            if (call.Status.Code == StatusCode.OK)
            {
                await call.WriteMessageAsync(response, call.CancellationToken);
            }
        });

    public static ServerMethodBinding ClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler) =>
        new ServerMethodBinding<TRequest, TResponse>(method, async call =>
        {
            var response = await handler(call.RequestStream, call);
            if (call.Status.Code == StatusCode.OK)
            {
                await call.WriteMessageAsync(response, call.CancellationToken);
            }
        });

    public static ServerMethodBinding ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler) =>
        new ServerMethodBinding<TRequest, TResponse>(method, async call =>
        {
            var request = await call.ReadSingleRequestAsync();
            await handler(request, call.ResponseStream, call);
        });

    public static ServerMethodBinding DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler) =>
        new ServerMethodBinding<TRequest, TResponse>(method, call => handler(call.RequestStream, call.ResponseStream, call));
}
