using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Cluster.Client;

/// <summary>
/// Adds <c>authorization: Bearer &lt;API key&gt;</c> to every call that does not carry an <c>authorization</c>
/// header already (a caller's own header wins). Used by <see cref="ClusterClient"/>; usable on any channel:
/// <c>channel.Intercept(new ApiKeyInterceptor(key))</c>.
/// </summary>
public sealed class ApiKeyInterceptor : Interceptor
{
    private readonly string _authorization;

    /// <summary>An interceptor sending <paramref name="apiKey"/> as a bearer token.</summary>
    public ApiKeyInterceptor(string apiKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        _authorization = "Bearer " + apiKey;
    }

    /// <inheritdoc/>
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithKey(context));

    /// <inheritdoc/>
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithKey(context));

    /// <inheritdoc/>
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithKey(context));

    /// <inheritdoc/>
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithKey(context));

    /// <inheritdoc/>
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithKey(context));

    private ClientInterceptorContext<TRequest, TResponse> WithKey<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        var headers = context.Options.Headers;
        if (headers?.Get("authorization") is not null)
        {
            return context;
        }

        var withKey = new Metadata();
        if (headers is not null)
        {
            foreach (var entry in headers)
            {
                withKey.Add(entry);
            }
        }

        withKey.Add("authorization", _authorization);
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(withKey));
    }
}
