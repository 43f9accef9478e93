namespace Cluster.Hosting;

/// <summary>What differs between the hosts: their role name and default ports.</summary>
/// <param name="Role">Role name shown in logs and <c>/healthz</c> (router, prefill, decode).</param>
/// <param name="GrpcPort">Default <see cref="HostingOptions.GrpcPort"/>.</param>
/// <param name="HttpPort">Default <see cref="HostingOptions.HttpPort"/>.</param>
/// <param name="ClientFacing">
/// True for the router: its client APIs need <c>Auth:ApiKeys</c> too before it may listen beyond loopback.
/// </param>
public sealed record ClusterHostDefaults(string Role, int GrpcPort, int HttpPort, bool ClientFacing = false);
