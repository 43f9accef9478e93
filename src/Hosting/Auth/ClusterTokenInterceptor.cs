using Cluster.Contracts;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Cluster.Hosting.Auth;

/// <summary>
/// Client side of <c>Auth:ClusterToken</c>: adds <c>authorization: Bearer &lt;token&gt;</c> to every call on an
/// internal API (router → worker Worker calls, prefill → decode KvTransfer pushes) that does not carry an
/// <c>authorization</c> header already (<see cref="BearerTokenInterceptor"/>).
/// </summary>
public sealed class ClusterTokenInterceptor : BearerTokenInterceptor
{
    /// <summary>An interceptor sending <paramref name="token"/> as a bearer token.</summary>
    public ClusterTokenInterceptor(string token)
        : base(token)
    {
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
}
