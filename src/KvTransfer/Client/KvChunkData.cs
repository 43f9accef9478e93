namespace Cluster.KvTransfer.Client;

/// <summary>The KV bytes of one <see cref="KvChunkRange"/>, in the layout of <see cref="Core.Kv.KvCacheLayout"/>.</summary>
/// <remarks>
/// A chunk of <see cref="KvPushRequest.DeviceSource"/> may instead carry its bytes on the device (<see cref="Device"/>;
/// <see cref="Data"/> then empty): copied device to device into a CUDA IPC ring slot, or to the host when it goes inline.
/// </remarks>
public sealed record KvChunkData(KvChunkRange Range, ReadOnlyMemory<byte> Data)
{
    /// <summary>The bytes on the device (null: they are in <see cref="Data"/>).</summary>
    public CudaIpc.IKvDeviceBytes? Device { get; init; }
}
