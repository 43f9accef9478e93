using Cluster.KvTransfer.CudaIpc;

namespace Cluster.KvTransfer.Tests;

/// <summary>Which GPU a receiver opens a sender's ring on, or which refusal reason it gives, for each pair of identities.</summary>
public sealed class KvIpcPeerDecisionTests
{
    // The receiver runs on GPU-B, its cuda:1; it sees GPU-A (cuda:0, peer access) and GPU-C (cuda:2, no peer access).
    private static readonly KvDeviceIdentity Receiver = new("host-1", "GPU-B");

    private static readonly KvVisibleGpu[] Visible = [new(0, "GPU-A", true), new(1, "GPU-B", true), new(2, "GPU-C", false)];

    [Theory]
    [InlineData("host-1", "GPU-B", "", 1)]                          // the same GPU: opened on the receiver's own
    [InlineData("host-1", "GPU-A", "", 0)]                          // a peer GPU: opened on the sender's, as the receiver numbers it
    [InlineData("host-1", "GPU-C", KvIpcPeerDecision.NoPeerAccess, -1)]
    [InlineData("host-1", "GPU-D", KvIpcPeerDecision.DeviceNotVisible, -1)]
    [InlineData("host-2", "GPU-B", KvIpcPeerDecision.OtherHost, -1)] // equal UUIDs on two hosts are two GPUs
    [InlineData("host-2", "GPU-A", KvIpcPeerDecision.OtherHost, -1)]
    public void Decide_ByHostAndGpu(string senderHost, string senderUuid, string reason, int index)
    {
        var gpu = KvIpcPeerDecision.Decide(Receiver, Visible, senderHost, senderUuid, out var why, out var message);

        Assert.Equal(reason, why);
        Assert.Equal(index, gpu?.Index ?? -1);
        if (gpu is not null) Assert.Equal(senderUuid, gpu.Uuid);
        Assert.Equal(reason.Length == 0, message.Length == 0);
    }

    [Fact]
    public void Decide_Refusals_NameWhatDiffers()
    {
        KvIpcPeerDecision.Decide(Receiver, Visible, "host-1", "GPU-C", out _, out var noPeer);
        KvIpcPeerDecision.Decide(Receiver, Visible, "host-1", "GPU-D", out _, out var hidden);
        KvIpcPeerDecision.Decide(Receiver, Visible, "host-2", "GPU-A", out _, out var host);

        Assert.Contains("GPU-C (cuda:2 here)", noPeer, StringComparison.Ordinal);
        Assert.Contains("cudaDeviceCanAccessPeer", noPeer, StringComparison.Ordinal);
        Assert.Contains("GPU-D is not among the 3 GPU(s)", hidden, StringComparison.Ordinal);
        Assert.Contains("CUDA_VISIBLE_DEVICES", hidden, StringComparison.Ordinal);
        Assert.Contains("host host-2", host, StringComparison.Ordinal);
    }

    [Fact]
    public void Receiver_RefusesBeforeOpening_AndOpensAPeerRingOnTheSendersGpu()
    {
        var device = new FakeIpcDevice(Receiver, visible: Visible);
        var exported = new FakeIpcDevice(new KvDeviceIdentity("host-1", "GPU-A"));
        var ring = CudaIpcChunkRing.Allocate(exported, slots: 2, slotBytes: 64);
        using var receiver = new KvIpcReceiver(device);

        var refused = receiver.TryOpen(ring.ToProto(new KvDeviceIdentity("host-1", "GPU-C"), checksums: false), out var reason, out _);
        var opened = receiver.TryOpen(ring.ToProto(new KvDeviceIdentity("host-1", "GPU-A"), checksums: false), out var none, out _);

        Assert.Null(refused);
        Assert.Equal(KvIpcPeerDecision.NoPeerAccess, reason);
        Assert.NotNull(opened);
        Assert.Equal("", none);
        Assert.Equal([new KvVisibleGpu(0, "GPU-A", true)], device.OpenedOn);
    }
}
