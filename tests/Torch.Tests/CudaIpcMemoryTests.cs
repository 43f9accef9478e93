namespace Cluster.Torch.Tests;

/// <summary>
/// <see cref="CudaIpcMemory"/>: on a CPU build every call fails naming the missing CUDA support; on a GPU, packing a
/// slab's tensors into the memory and scattering them back into rows round-trips bit-exact (one process: the memory is
/// its own, so no second process is needed to check the copies; opening by handle is the GPU script's part).
/// </summary>
public sealed class CudaIpcMemoryTests
{
    [Fact]
    public void OffCuda_FailsNamingTheMissingSupport()
    {
        if (torch.cuda.is_available()) return;   // the CUDA case is PackThenScatter_... below

        var e = Assert.Throws<TorchException>(() => CudaIpcMemory.Identity(0));
        Assert.Contains("no CUDA support", e.Message, StringComparison.Ordinal);
        Assert.Contains("no CUDA support", Assert.Throws<TorchException>(() => CudaIpcMemory.CanAccessPeer(0, 1)).Message, StringComparison.Ordinal);
        var cpu = Assert.Throws<ArgumentException>(() => CudaIpcMemory.Allocate(Device.CPU, 1024));
        Assert.Contains("needs a CUDA device", cpu.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnCuda_PackThenScatter_RoundTripsBitExact_AndCountersReadBack()
    {
        if (!torch.cuda.is_available()) return;   // the CPU case is OffCuda_... above
        using var scope = torch.NewDisposeScope();
        var device = Device.Parse("cuda:0");
        var keys = torch.randn([3, 4, 2, 8], seed: 1).to(ScalarType.BFloat16).to(device);
        var values = torch.randn([3, 4, 2, 8], seed: 2).to(ScalarType.BFloat16).to(device);
        using var memory = CudaIpcMemory.Allocate(device, 4096);
        Assert.Equal(64, memory.Handle.Length);
        Assert.False(string.IsNullOrEmpty(CudaIpcMemory.Identity(0).Uuid));

        var bytes = memory.Pack(256, [keys, values]);
        var keysBack = torch.zeros([10, 4, 2, 8], ScalarType.BFloat16, device);
        var valuesBack = torch.zeros([10, 4, 2, 8], ScalarType.BFloat16, device);
        memory.Scatter(256, [keysBack, valuesBack], [7, 2, 5]);
        memory.Write(0, [1, 2, 3, 4, 5, 6, 7, 8]);
        var counter = new byte[8];
        memory.Read(0, counter);

        Assert.Equal(2 * 3 * 4 * 2 * 8 * 2, bytes);
        using var rows = torch.tensor([7L, 2, 5], device: device);
        Assert.Equal(Bytes(keys), Bytes(keysBack.index_select(0, rows)));
        Assert.Equal(Bytes(values), Bytes(valuesBack.index_select(0, rows)));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], counter);
    }

    [Fact]
    public void OnTwoGpus_ScatterIntoAPeerGpu_RoundTripsBitExact()
    {
        if (torch.cuda.device_count() < 2) return;   // needs two GPUs (tests/reference/run_multi_gpu.sh runs it on them)
        using var scope = torch.NewDisposeScope();
        var region = Device.Parse("cuda:0");
        var peer = Device.Parse("cuda:1");
        Assert.True(CudaIpcMemory.CanAccessPeer(0, 0));
        var keys = torch.randn([3, 4, 2, 8], seed: 3).to(ScalarType.BFloat16).to(region);
        var values = torch.randn([3, 4, 2, 8], seed: 4).to(ScalarType.BFloat16).to(region);
        using var memory = CudaIpcMemory.Allocate(region, 4096);
        memory.Pack(128, [keys, values]);
        var keysBack = torch.zeros([10, 4, 2, 8], ScalarType.BFloat16, peer);
        var valuesBack = torch.zeros([10, 4, 2, 8], ScalarType.BFloat16, peer);

        memory.Scatter(128, [keysBack, valuesBack], [9, 0, 4]);

        using var rows = torch.tensor([9L, 0, 4], device: peer);
        Assert.Equal(Bytes(keys), Bytes(keysBack.index_select(0, rows)));
        Assert.Equal(Bytes(values), Bytes(valuesBack.index_select(0, rows)));
        Assert.Equal(0, Bytes(keysBack.index_select(0, torch.tensor([1L, 2, 3, 5, 6, 7, 8], device: peer))).Count(b => b != 0));
    }

    private static byte[] Bytes(Tensor t)
    {
        var bytes = new byte[t.numel() * t.dtype.ElementSize()];
        t.CopyTo(bytes);
        return bytes;
    }
}
