using Cluster.Contracts;

namespace Cluster.Client;

/// <summary>
/// Adds <c>authorization: Bearer &lt;API key&gt;</c> to every call that does not carry an <c>authorization</c>
/// header already (a caller's own header wins). Used by <see cref="ClusterClient"/>; usable on any channel:
/// <c>channel.Intercept(new ApiKeyInterceptor(key))</c>.
/// </summary>
public sealed class ApiKeyInterceptor : BearerTokenInterceptor
{
    /// <summary>An interceptor sending <paramref name="apiKey"/> as a bearer token.</summary>
    public ApiKeyInterceptor(string apiKey)
        : base(apiKey)
    {
    }
}
