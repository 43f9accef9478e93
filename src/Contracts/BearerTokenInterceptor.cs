using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Cluster.Contracts;

/// <summary>
/// Adds <c>authorization: Bearer &lt;token&gt;</c> to every call that does not carry an <c>authorization</c> header
/// already (a caller's own header wins). The call's headers are copied, never changed in place, so a
/// <see cref="Metadata"/> reused across calls (a KV push and its resumes) never collects duplicates. The SDK's API key
/// (Cluster.Client.ApiKeyInterceptor) and the cluster token on internal calls (Cluster.Hosting.Auth.ClusterTokenInterceptor)
/// are the two uses.
/// </summary>
public abstract class BearerTokenInterceptor : Interceptor
{
    private readonly string _authorization;

    protected BearerTokenInterceptor(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _authorization = "Bearer " + token;
    }

    /// <inheritdoc/>
    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithToken(context));

    /// <inheritdoc/>
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithToken(context));

    /// <inheritdoc/>
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithToken(context));

    /// <inheritdoc/>
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithToken(context));

    /// <inheritdoc/>
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithToken(context));

    private ClientInterceptorContext<TRequest, TResponse> WithToken<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        var headers = context.Options.Headers;
        if (headers?.Get("authorization") is not null)
        {
            return context;
        }

        var withToken = new Metadata();
        foreach (var entry in headers ?? [])
        {
            withToken.Add(entry);
        }

        withToken.Add("authorization", _authorization);
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(withToken));
    }
}
