namespace Cluster.Hosting.Auth;

/// <summary>Endpoint metadata: the endpoint requires a credential of <see cref="Kind"/>.</summary>
public sealed record CredentialRequirement(CredentialKind Kind);
