using Microsoft.AspNetCore.Builder;

namespace Cluster.Hosting.Auth;

/// <summary>Marks endpoints (e.g. what <c>MapRpcService</c> returns) as requiring a credential.</summary>
public static class AuthEndpointConventionExtensions
{
    /// <summary>Requires the cluster token (internal router ↔ worker APIs).</summary>
    public static TBuilder RequireClusterToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CredentialRequirement(CredentialKind.ClusterToken));

    /// <summary>Requires a client API key.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CredentialRequirement(CredentialKind.ApiKey));
}
