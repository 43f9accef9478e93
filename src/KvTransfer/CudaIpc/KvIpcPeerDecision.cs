namespace Cluster.KvTransfer.CudaIpc;

/// <summary>
/// Whether a receiver can read a ring another process announced, from the two identities alone: the same host, and the
/// sender's GPU either the receiver's own or a GPU the receiver sees with peer access both ways. Each refusal is a reason
/// tag (the sender counts it in <c>cluster.kv_transfer.cuda_ipc.fallbacks{reason}</c>) and a message naming what differs.
/// </summary>
public static class KvIpcPeerDecision
{
    /// <summary>The sender is on another machine (another boot id).</summary>
    public const string OtherHost = "other_host";

    /// <summary>The sender's GPU is not among the receiver's visible devices (e.g. CUDA_VISIBLE_DEVICES hides it).</summary>
    public const string DeviceNotVisible = "device_not_visible";

    /// <summary>The receiver sees the sender's GPU, but the two GPUs cannot access each other's memory.</summary>
    public const string NoPeerAccess = "no_peer_access";

    /// <summary>
    /// The GPU (as the receiver sees it) to open the sender's ring on, or null with <paramref name="reason"/> and
    /// <paramref name="message"/> saying why it cannot be used here.
    /// </summary>
    public static KvVisibleGpu? Decide(KvDeviceIdentity receiver, IReadOnlyList<KvVisibleGpu> visible, string senderHost, string senderUuid,
        out string reason, out string message)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(visible);
        (reason, message) = ("", "");
        if (senderHost != receiver.HostId)
        {
            (reason, message) = (OtherHost, $"the sender is on host {senderHost}, the receiver on {receiver.HostId}");
            return null;
        }

        var gpu = visible.FirstOrDefault(g => g.Uuid == senderUuid);
        if (senderUuid == receiver.DeviceUuid)
        {
            // The same GPU: its index here is the receiver's own (listed, or unknown to a device that lists none).
            return gpu ?? new KvVisibleGpu(visible.FirstOrDefault(g => g.Uuid == receiver.DeviceUuid)?.Index ?? -1, senderUuid, PeerAccess: true);
        }

        if (gpu is null)
        {
            (reason, message) = (DeviceNotVisible,
                $"the sender's GPU {senderUuid} is not among the {visible.Count} GPU(s) the receiver (on {receiver.DeviceUuid}) sees; check CUDA_VISIBLE_DEVICES of both processes");
            return null;
        }

        if (!gpu.PeerAccess)
        {
            (reason, message) = (NoPeerAccess,
                $"the sender's GPU {senderUuid} (cuda:{gpu.Index} here) and the receiver's {receiver.DeviceUuid} have no peer access (cudaDeviceCanAccessPeer)");
            return null;
        }

        return gpu;
    }
}
