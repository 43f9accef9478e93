namespace Cluster.Client;

/// <summary>A model the cluster serves.</summary>
public sealed record ModelDescription(string Id, int MaxModelLength, string OwnedBy);
