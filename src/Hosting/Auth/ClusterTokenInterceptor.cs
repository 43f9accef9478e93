using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Cluster.Hosting.Auth;

/// <summary>
/// Client side of <c>Auth:ClusterToken</c>: adds <c>authorization: Bearer &lt;token&gt;</c> to every call on an
/// internal API (router → worker Worker calls, prefill → decode KvTransfer pushes) that does not carry an
/// <c>authorization</c> header already. The call's own headers are copied, never changed in place, so a
/// <see cref="Metadata"/> reused across calls (a push and its resumes) never collects duplicates.
/// </summary>
public sealed class ClusterTokenInterceptor : Interceptor
{
    private readonly string _authorization;

    /// <summary>An interceptor sending <paramref name="token"/> as a bearer token.</summary>
    public ClusterTokenInterceptor(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _authorization = "Bearer " + token;
    }

    /// <summary>
    /// <paramref name="channel"/>'s call invoker, behind this interceptor when <paramref name="token"/> is set
    /// (no token: the plain invoker; the host then serves internal APIs without credentials, see ExposureTests).
    /// </summary>
    public static CallInvoker Apply(ChannelBase channel, string? token)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return string.IsNullOrEmpty(token) ? channel.CreateCallInvoker() : channel.Intercept(new ClusterTokenInterceptor(token));
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
