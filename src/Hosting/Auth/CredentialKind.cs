namespace Cluster.Hosting.Auth;

/// <summary>Which credential an endpoint requires (endpoint metadata read by <see cref="CredentialMiddleware"/>).</summary>
public enum CredentialKind
{
    /// <summary>The cluster token (internal APIs).</summary>
    ClusterToken,

    /// <summary>A client API key.</summary>
    ApiKey,
}
