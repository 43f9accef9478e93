namespace Cluster.KvTransfer.Client;

/// <summary>A range of layers × a range of a reservation's blocks.</summary>
public readonly record struct KvChunkRange(int LayerStart, int LayerCount, int BlockStart, int BlockCount);
