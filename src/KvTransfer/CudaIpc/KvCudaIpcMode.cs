namespace Cluster.KvTransfer.CudaIpc;

/// <summary><c>KvTransfer:CudaIpc</c>: whether a push may carry its bytes through device memory shared by CUDA IPC.</summary>
public enum KvCudaIpcMode
{
    /// <summary>Propose it when this process has a GPU; the receiver refuses it for another host or device, and the push falls back.</summary>
    Auto,

    /// <summary>Never propose it, and refuse it as a receiver.</summary>
    Off,
}
