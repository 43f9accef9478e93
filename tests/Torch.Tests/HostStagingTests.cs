using System.Diagnostics;

namespace Cluster.Torch.Tests;

public sealed class HostStagingTests
{
    private static Tensor Random(long rows, ScalarType dtype, ulong seed) =>
        torch.randn([rows, 4, 2, 8], seed: seed).to(dtype);   // [rows, blockSize, Hkv, D]

    private static byte[] Bytes(Tensor t)
    {
        var bytes = new byte[t.numel() * t.dtype.ElementSize()];
        t.CopyTo(bytes);
        return bytes;
    }

    [Fact]
    public void GatherThenScatter_Bf16Rows_RoundTripBitExactAndLeaveOtherRowsAlone()
    {
        using var scope = torch.NewDisposeScope();
        var keys = Random(10, ScalarType.BFloat16, 1);
        var values = Random(10, ScalarType.BFloat16, 2);
        long[] rows = [7, 2, 5];
        using var staging = HostStaging.Allocate(1 << 16, Device.CPU);

        var n = staging.Gather([keys, values], rows);

        using var index = torch.tensor(rows);
        var expected = Bytes(keys.index_select(0, index)).Concat(Bytes(values.index_select(0, index))).ToArray();
        Assert.Equal(expected.Length, n);
        Assert.Equal(expected, staging.Memory[..n].ToArray());

        var keysBack = torch.zeros([10, 4, 2, 8], ScalarType.BFloat16);
        var valuesBack = torch.zeros([10, 4, 2, 8], ScalarType.BFloat16);
        Assert.Equal(n, staging.Scatter([keysBack, valuesBack], rows));
        Assert.Equal(Bytes(keys.index_select(0, index)), Bytes(keysBack.index_select(0, index)));
        Assert.Equal(Bytes(values.index_select(0, index)), Bytes(valuesBack.index_select(0, index)));
        using var others = torch.tensor([0L, 1, 3, 4, 6, 8, 9]);
        Assert.All(Bytes(keysBack.index_select(0, others)), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Pack_CopiesWholeTensorsOneAfterAnother()
    {
        using var scope = torch.NewDisposeScope();
        var keys = Random(6, ScalarType.Float16, 3);
        var values = Random(6, ScalarType.Float16, 4);
        using var staging = HostStaging.Allocate(1 << 16, Device.CPU);

        var n = staging.Pack([keys.narrow(0, 2, 3), values.narrow(0, 2, 3)]);

        var expected = Bytes(keys.narrow(0, 2, 3).contiguous()).Concat(Bytes(values.narrow(0, 2, 3).contiguous())).ToArray();
        Assert.Equal(expected, staging.GetSpan()[..n].ToArray());
    }

    [Fact]
    public void Staging_IsReused_EachCopyOverwritesTheBufferFromByteZero()
    {
        using var scope = torch.NewDisposeScope();
        var a = Random(4, ScalarType.Float32, 5);
        var b = Random(4, ScalarType.Float32, 6);
        using var staging = HostStaging.Allocate(Bytes(a).Length, Device.CPU);
        Assert.False(staging.IsPinned);   // CPU: plain memory
        Assert.Equal(Device.CPU, staging.Device);

        var first = staging.Gather([a], [0, 1, 2, 3]);
        Assert.Equal(Bytes(a), staging.Memory[..first].ToArray());
        var second = staging.Gather([b], [3]);
        Assert.Equal(Bytes(b.narrow(0, 3, 1).contiguous()), staging.Memory[..second].ToArray());
        Assert.Equal(Bytes(a)[second..], staging.Memory[second..].ToArray());   // the rest is untouched, not reallocated
    }

    [Fact]
    public void BadSizesAndRows_AreRejectedWithMessagesSayingWhatToFix()
    {
        using var scope = torch.NewDisposeScope();
        var t = Random(4, ScalarType.Float32, 7);   // 256 bytes a row
        using var staging = HostStaging.Allocate(512, Device.CPU);

        var tooMany = Assert.Throws<TorchException>(() => staging.Gather([t, t], [0, 1]));
        Assert.Contains("1024 bytes do not fit the staging's 512", tooMany.Message);
        var outside = Assert.Throws<TorchException>(() => staging.Gather([t], [4]));
        Assert.Contains("row 4 is outside 0 … 3", outside.Message);
        var negative = Assert.Throws<TorchException>(() => staging.Scatter([t], [-1]));
        Assert.Contains("row -1 is outside", negative.Message);
        Assert.Throws<ArgumentException>(() => staging.Gather([t], []));
        Assert.Throws<ArgumentException>(() => staging.Scatter([t], []));
        Assert.Contains("no tensors given", Assert.Throws<TorchException>(() => staging.Pack([])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => HostStaging.Allocate(0, Device.CPU));
        Assert.Equal(256, staging.Gather([t], [3]));   // still usable after the refusals
    }

    [Fact]
    public void Dispose_FreesTheBuffer_AndLaterUseThrowsObjectDisposed()
    {
        const int size = 256 << 20;
        var before = ResidentBytes();
        var staging = HostStaging.Allocate(size, Device.CPU);
        staging.GetSpan().Fill(1);   // touch every page
        var held = ResidentBytes();
        Assert.True(held - before > size / 2, $"resident memory grew by {held - before} bytes with a {size}-byte staging");

        staging.Dispose();
        var after = ResidentBytes();
        Assert.True(held - after > size / 2, $"resident memory fell by {held - after} bytes after disposing a {size}-byte staging");
        Assert.Throws<ObjectDisposedException>(() => staging.GetSpan());
        using var t = torch.zeros([1, 4], ScalarType.Float32);
        Assert.Throws<ObjectDisposedException>(() => staging.Pack([t]));
        staging.Dispose();   // idempotent
    }

    [Fact]
    public void DeviceEvent_OnTheCpu_IsNotNeeded()
    {
        Assert.Null(DeviceEvent.RecordCurrent(Device.CPU));
    }

    private static long ResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
