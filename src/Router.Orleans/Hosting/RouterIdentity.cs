namespace Cluster.Router.Orleans.Hosting;

/// <summary>This router process's id in the router tier: the owner of its admissions and request claims.</summary>
public sealed class RouterIdentity
{
    /// <summary>A fresh id per process (a restarted router is a new owner; the old one's leases expire).</summary>
    public string Id { get; } = $"router-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32];
}
