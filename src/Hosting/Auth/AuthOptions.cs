namespace Cluster.Hosting.Auth;

/// <summary>
/// Credentials (configuration section <c>Auth</c>): a cluster token shared by the router and workers for internal
/// APIs, and the API keys clients present to the router. Both travel as <c>authorization: Bearer …</c>.
/// An empty setting turns that check off (a warning is logged at start-up); a host bound beyond loopback refuses
/// to start without them unless <c>Hosting:AllowInsecure</c> is set.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Shared secret for <c>cluster.v1.Worker</c> and <c>cluster.v1.KvTransfer</c>.</summary>
    public string? ClusterToken { get; set; }

    /// <summary>Keys accepted on the client APIs (gRPC Inference, OpenAI HTTP).</summary>
    public List<string> ApiKeys { get; set; } = [];
}
