using Cluster.Core.Ids;
using Cluster.KvTransfer.Client;
using Cluster.KvTransfer.CudaIpc;
using Grpc.Core;
using Microsoft.Extensions.Configuration;

namespace Cluster.KvTransfer.Tests;

/// <summary>
/// The CUDA IPC path's negotiation and fallbacks, on CPU: <see cref="FakeIpcDevice"/> stands in for the GPU (host arrays
/// shared in-process), the protocol (header announcement, slots, consumed count, refusal, fallback) is the real one.
/// </summary>
public sealed class CudaIpcPushTests
{
    private static readonly KvTransferOptions Small = new() { MaxChunkBytes = 256, CudaIpcRingBytes = 512, SharedMemoryRingBytes = 512 };

    [Fact]
    public async Task Push_SameHostAndDevice_GoesThroughTheDeviceRingBitExact_AndReusesTheOpenedRing()
    {
        var gpu = new FakeIpcDevice(FakeIpcDevice.Gpu());
        using var receiver = new KvIpcReceiver(new FakeIpcDevice(FakeIpcDevice.Gpu()));
        await using var f = await TransferFixture.StartAsync(ipc: receiver);
        using var pool = new KvIpcRingPool(gpu);
        var fallbacks = new List<string>();
        var client = new KvPushClient(f.Client, Small) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };

        foreach (var name in new[] { "r1", "r2" })
        {
            var (ticket, blocks, kv) = f.Reserve(new RequestId(name), tokens: 40, seed: name.Length + name[1]);
            // 2 slots for 40 chunks: every slot is reused, so the sender waits on the receiver's consumed count.
            var result = await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv)));

            Assert.True(result.Complete);
            Assert.Equal(KvPushClient.TransportCudaIpc, client.Transport);
            Assert.Equal(kv, f.Store.Contents(new RequestId(name)));
        }

        Assert.Empty(fallbacks);
        Assert.Equal(1, gpu.Allocations);     // the ring came back to the pool and was reused
        Assert.Equal(1, receiver.OpenCount);  // ... and the receiver kept it open
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Push_SenderAndReceiverWorkersOfOneProcess_UseTheRingInPlace_WhereCudaCannotOpenItsOwnExport(bool recorded)
    {
        // One process (cluster up without --redis, the benches): CUDA refuses to open an IPC handle exported by the same
        // process, so the receiver must find the ring among this process's exports instead of opening it.
        var process = new KvIpcLocalExports<byte[]>();
        var receiverGpu = new FakeIpcDevice(FakeIpcDevice.Gpu(), sameProcess: process, recordExports: recorded);
        using var receiver = new KvIpcReceiver(receiverGpu);
        await using var f = await TransferFixture.StartAsync(ipc: receiver);
        using var pool = new KvIpcRingPool(new FakeIpcDevice(FakeIpcDevice.Gpu(), sameProcess: process, recordExports: recorded));
        var fallbacks = new List<string>();
        var client = new KvPushClient(f.Client, new KvTransferOptions { MaxChunkBytes = 256, CudaIpcRingBytes = 512, SharedMemoryRingBytes = 512, SharedMemory = false }) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };
        var (ticket, blocks, kv) = f.Reserve(new RequestId("one-process"), tokens: 40, seed: 7);

        var result = await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv)));

        Assert.True(result.Complete);
        Assert.Equal(kv, f.Store.Contents(new RequestId("one-process")));
        if (recorded)
        {
            Assert.Equal(KvPushClient.TransportCudaIpc, client.Transport);
            Assert.Empty(fallbacks);
            Assert.Equal(1, receiverGpu.InPlace);
        }
        else
        {
            // What the one-process cluster did on the H100 before: every push refused, then inline over gRPC.
            Assert.Equal(["open_failed"], fallbacks);
            Assert.Equal(KvPushClient.TransportGrpc, client.Transport);
        }
    }

    [Fact]
    public void LocalExports_FindOnlyWhatWasAddedWithItsSize_UntilRemoved()
    {
        var exports = new KvIpcLocalExports<byte[]>();
        var memory = new byte[8];
        byte[] handle = [1, 2, 3];
        exports.Add(handle, 8, memory);

        Assert.Same(memory, exports.Find(handle, 8));
        Assert.Null(exports.Find(handle, 16));            // another size: not this allocation
        Assert.Null(exports.Find([1, 2, 4], 8));          // another process's handle
        exports.Remove(handle, 8);
        Assert.Null(exports.Find(handle, 8));
        Assert.Equal(0, exports.Count);
        Assert.Throws<ArgumentException>(() => exports.Find([], 8));
    }

    [Theory]
    [InlineData("GPU-1", "host-a", "device_not_visible", true, KvPushClient.TransportSharedMemory)]
    [InlineData("GPU-0", "host-b", "other_host", false, KvPushClient.TransportGrpc)]
    public async Task Push_ReceiverOnAnotherDeviceOrHost_FallsBackWithTheReason_AndStopsProposing(
        string receiverUuid, string receiverHost, string reason, bool sharedMemory, string transport)
    {
        using var receiver = new KvIpcReceiver(new FakeIpcDevice(FakeIpcDevice.Gpu(receiverUuid, receiverHost)));
        await using var f = await TransferFixture.StartAsync(ipc: receiver);
        using var pool = new KvIpcRingPool(new FakeIpcDevice(FakeIpcDevice.Gpu()));
        var fallbacks = new List<string>();
        var options = new KvTransferOptions { MaxChunkBytes = 256, CudaIpcRingBytes = 512, SharedMemoryRingBytes = 512, SharedMemory = sharedMemory };
        var client = new KvPushClient(f.Client, options) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };

        foreach (var name in new[] { "r1", "r2" })
        {
            var (ticket, blocks, kv) = f.Reserve(new RequestId(name), tokens: 40, seed: name[1]);
            var result = await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv)));

            Assert.True(result.Complete);
            Assert.Equal(kv, f.Store.Contents(new RequestId(name)));
        }

        Assert.Equal(transport, SharedMemoryAvailableOr(transport, client.Transport));
        Assert.Equal([reason, reason], fallbacks);   // refused once; the second push does not propose it again
        Assert.Equal(reason, client.Peer.RefusedReason);
        Assert.Equal(0, receiver.OpenCount);
    }

    [Fact]
    public async Task Push_ReceiverOnAPeerGpu_GoesThroughTheRingOpenedOnTheSendersGpu()
    {
        // The receiver runs on GPU-1 (its cuda:1) and sees the sender's GPU-0 as its cuda:0, with peer access.
        var receiverGpu = new FakeIpcDevice(FakeIpcDevice.Gpu("GPU-1"), visible: [new(0, "GPU-0", PeerAccess: true), new(1, "GPU-1", PeerAccess: true)]);
        using var receiver = new KvIpcReceiver(receiverGpu);
        await using var f = await TransferFixture.StartAsync(ipc: receiver);
        using var pool = new KvIpcRingPool(new FakeIpcDevice(FakeIpcDevice.Gpu("GPU-0")));
        var fallbacks = new List<string>();
        var client = new KvPushClient(f.Client, Small) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);

        var result = await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv)));

        Assert.True(result.Complete);
        Assert.Equal(KvPushClient.TransportCudaIpc, client.Transport);
        Assert.Empty(fallbacks);
        Assert.Equal([new KvVisibleGpu(0, "GPU-0", true)], receiverGpu.OpenedOn);
        Assert.Equal(kv, f.Store.Contents(new RequestId("r")));
    }

    [Fact]
    public async Task Push_ReceiverOnAGpuWithoutPeerAccess_FallsBackWithNoPeerAccess()
    {
        var receiverGpu = new FakeIpcDevice(FakeIpcDevice.Gpu("GPU-1"), visible: [new(0, "GPU-0", PeerAccess: false), new(1, "GPU-1", PeerAccess: true)]);
        using var receiver = new KvIpcReceiver(receiverGpu);
        await using var f = await TransferFixture.StartAsync(ipc: receiver);
        using var pool = new KvIpcRingPool(new FakeIpcDevice(FakeIpcDevice.Gpu("GPU-0")));
        var fallbacks = new List<string>();
        var client = new KvPushClient(f.Client, Small) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);

        var result = await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv)));

        Assert.True(result.Complete);
        Assert.NotEqual(KvPushClient.TransportCudaIpc, client.Transport);
        Assert.Equal([KvIpcPeerDecision.NoPeerAccess], fallbacks);
        Assert.Empty(receiverGpu.OpenedOn);
        Assert.Equal(kv, f.Store.Contents(new RequestId("r")));
    }

    [Fact]
    public async Task Push_SenderWithoutCuda_DoesNotProposeAndReportsNoCuda()
    {
        await using var f = await TransferFixture.StartAsync();
        using var pool = new KvIpcRingPool(new FakeIpcDevice(identity: null));
        var fallbacks = new List<string>();
        var client = new KvPushClient(f.Client, Small) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);

        var result = await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv)));

        Assert.True(result.Complete);
        Assert.Equal(KvPushClient.TransportGrpc, client.Transport);
        Assert.Equal(["no_cuda"], fallbacks);
        Assert.Equal(kv, f.Store.Contents(new RequestId("r")));
    }

    [Theory]
    [InlineData(false, true, "off")]          // a receiver host without the CUDA IPC side
    [InlineData(true, true, "open_failed")]   // cudaIpcOpenMemHandle fails
    [InlineData(true, false, "copy_failed")]  // the sender's device copy fails
    public async Task Push_IpcFailsOnEitherSide_FallsBackInlineWithTheReason(bool receiverHasIpc, bool copyWorks, string reason)
    {
        var receiverGpu = new FakeIpcDevice(FakeIpcDevice.Gpu()) { FailOpen = reason == "open_failed" };
        using var receiver = new KvIpcReceiver(receiverGpu);
        await using var f = await TransferFixture.StartAsync(ipc: receiverHasIpc ? receiver : null);
        using var pool = new KvIpcRingPool(new FakeIpcDevice(FakeIpcDevice.Gpu()));
        var fallbacks = new List<string>();
        var client = new KvPushClient(f.Client, Small) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);

        var result = await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv), failCopy: !copyWorks));

        Assert.True(result.Complete);
        Assert.Equal(KvPushClient.TransportGrpc, client.Transport);
        Assert.Equal([reason], fallbacks);
        Assert.Equal(kv, f.Store.Contents(new RequestId("r")));
    }

    [Fact]
    public async Task Push_DeviceCopyFailsMidPush_ResumesInlineFromTheReceiversNextChunk()
    {
        using var receiver = new KvIpcReceiver(new FakeIpcDevice(FakeIpcDevice.Gpu()));
        await using var f = await TransferFixture.StartAsync(ipc: receiver);
        using var pool = new KvIpcRingPool(new FakeIpcDevice(FakeIpcDevice.Gpu()));
        var fallbacks = new List<string>();
        var client = new KvPushClient(f.Client, Small) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);

        // Chunks 0-4 go through the device ring, chunk 5's copy fails: the rest goes inline, resumed where the receiver is.
        var result = await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv), failCopy: true, failFrom: 5));

        Assert.True(result.Complete);
        Assert.Equal(40u, result.CommittedChunks);
        Assert.Equal(["copy_failed"], fallbacks);
        Assert.Equal(KvPushClient.TransportGrpc, client.Transport);
        Assert.Equal(1, receiver.OpenCount);   // the first chunks did go through the device ring
        Assert.Equal(kv, f.Store.Contents(new RequestId("r")));
    }

    [Fact]
    public async Task Push_ModeOff_NeverProposesAndReportsNothing()
    {
        using var receiver = new KvIpcReceiver(new FakeIpcDevice(FakeIpcDevice.Gpu()));
        await using var f = await TransferFixture.StartAsync(ipc: receiver);
        var gpu = new FakeIpcDevice(FakeIpcDevice.Gpu());
        using var pool = new KvIpcRingPool(gpu);
        var fallbacks = new List<string>();
        var options = new KvTransferOptions { MaxChunkBytes = 256, CudaIpcRingBytes = 512, CudaIpc = KvCudaIpcMode.Off };
        var client = new KvPushClient(f.Client, options) { CudaIpc = pool, CudaIpcFallback = fallbacks.Add };
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 8);

        Assert.True((await client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 8, blocks, kv)))).Complete);

        Assert.Equal(KvPushClient.TransportGrpc, client.Transport);
        Assert.Empty(fallbacks);
        Assert.Equal(0, gpu.Allocations);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Push_ChecksumsOnRequest_VerifySlotBytes(bool corrupt, bool completes)
    {
        using var receiver = new KvIpcReceiver(new FakeIpcDevice(FakeIpcDevice.Gpu()));
        await using var f = await TransferFixture.StartAsync(ipc: receiver);
        using var pool = new KvIpcRingPool(new FakeIpcDevice(FakeIpcDevice.Gpu()));
        var options = new KvTransferOptions { MaxChunkBytes = 256, CudaIpcRingBytes = 512, CudaIpcChecksums = true };
        var client = new KvPushClient(f.Client, options) { CudaIpc = pool, CorruptChecksums = corrupt };
        var (ticket, blocks, kv) = f.Reserve(new RequestId("r"), tokens: 40);

        var push = client.PushAsync(OnDevice(TransferFixture.PushOf(ticket, 40, blocks, kv)));

        if (completes)
        {
            Assert.True((await push).Complete);
            Assert.Equal(kv, f.Store.Contents(new RequestId("r")));
        }
        else
        {
            Assert.Equal(StatusCode.DataLoss, (await Assert.ThrowsAsync<RpcException>(() => push)).StatusCode);
            Assert.Equal(0, f.Store.Writes);
        }
        Assert.Equal(KvPushClient.TransportCudaIpc, client.Transport);
    }

    [Fact]
    public void Options_RingBelowTwoChunks_IsRefusedNamingTheOptions_AndModeBindsFromConfiguration()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new KvTransferOptions { MaxChunkBytes = 1024, CudaIpcRingBytes = 1024 }.CudaIpcSlots());
        Assert.Contains("KvTransfer:CudaIpcRingBytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("KvTransfer:CudaIpc=off", e.Message, StringComparison.Ordinal);
        Assert.Equal(64, new KvTransferOptions().CudaIpcSlots());

        var bound = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["KvTransfer:CudaIpc"] = "off" }).Build()
            .GetSection(KvTransferOptions.SectionName).Get<KvTransferOptions>()!;
        Assert.Equal(KvCudaIpcMode.Off, bound.CudaIpc);
        Assert.Equal(KvCudaIpcMode.Auto, new KvTransferOptions().CudaIpc);
    }

    // Where /dev/shm is missing the shared-memory fallback itself falls back inline.
    private static string SharedMemoryAvailableOr(string expected, string actual) =>
        expected == KvPushClient.TransportSharedMemory && !SharedMemory.SharedMemoryChunkRing.Available ? expected : actual;

    private static KvPushRequest OnDevice(KvPushRequest push, bool failCopy = false, uint failFrom = 0) =>
        push with { DeviceSource = (from, ct) => Devices(push.Source(from, ct), from, failCopy, failFrom) };

    private static async IAsyncEnumerable<KvChunkData> Devices(IAsyncEnumerable<KvChunkData> chunks, uint from, bool failCopy, uint failFrom)
    {
        var sequence = from;
        await foreach (var chunk in chunks)
        {
            yield return chunk with { Data = default, Device = new FakeDeviceBytes(chunk.Data.ToArray(), failCopy && sequence++ >= failFrom) };
        }
    }
}
