using Cluster.Torch;

namespace Cluster.Torch.Tests;

public sealed class ErrorAndScopeTests
{
    [Fact]
    public void Matmul_ShapeMismatch_ThrowsTorchExceptionWithLibtorchMessage()
    {
        using var a = torch.zeros([2, 3]);
        using var b = torch.zeros([4, 5]);
        var e = Assert.Throws<TorchException>(() => a.matmul(b));
        Assert.Contains("cannot be multiplied", e.Message);
        Assert.DoesNotContain("Exception raised from", e.Message);   // no C++ backtrace
    }

    [Fact]
    public void View_IncompatibleSize_ThrowsAndProcessSurvives()
    {
        using var a = torch.zeros([2, 3]);
        var e = Assert.Throws<TorchException>(() => a.view(4, 2));
        Assert.Contains("invalid", e.Message);
        using var ok = a.view(3, 2);
        Assert.Equal([3L, 2L], ok.shape);
    }

    /// <summary>
    /// Without a usable GPU every CUDA call throws; with one (written for the GPU machine, where it cannot run here),
    /// the first device works and an index past the last one throws instead of crashing. Either branch asserts.
    /// </summary>
    [Fact]
    public void Cuda_OnCpuOnlyBuildOrMissingDevice_ThrowsInsteadOfCrashing()
    {
        var devices = torch.cuda.device_count();
        if (devices == 0)
        {
            Assert.Throws<TorchException>(() => torch.zeros([1], torch.float32, Device.CUDA()));
            Assert.Throws<TorchException>(() => torch.cuda.synchronize());
            return;
        }

        using (var onGpu = torch.ones([3], torch.float32, Device.CUDA()))
        {
            torch.cuda.synchronize();
            Assert.Equal(Device.CUDA(0), onGpu.device);
            using var back = onGpu.to(Device.CPU);
            Assert.Equal([1f, 1f, 1f], back.data<float>());
        }

        var missing = Device.CUDA(devices);
        Assert.Throws<TorchException>(() => torch.zeros([1], torch.float32, missing));
        Assert.Throws<TorchException>(() => torch.cuda.synchronize(missing.Index));
        using var stillWorks = torch.zeros([1], torch.float32, Device.CUDA());
        Assert.Equal(Device.CUDA(0), stillWorks.device);
    }

    [Fact]
    public void DisposeScope_DisposesTemporariesButKeepsMovedAndDetachedTensors()
    {
        Tensor temp, moved, detached;
        using (var outer = torch.NewDisposeScope())
        {
            using (var inner = torch.NewDisposeScope())
            {
                temp = torch.ones([2]);
                moved = (temp + 1).MoveToOuterDisposeScope();
                detached = (temp * 3).DetachFromDisposeScope();
                Assert.Equal(1, inner.Count);
            }
            Assert.True(temp.IsClosed);
            Assert.False(moved.IsClosed);
            Assert.Equal([2f, 2f], moved.data<float>());
            Assert.Equal(1, outer.Count);
        }
        Assert.True(moved.IsClosed);
        Assert.False(detached.IsClosed);
        Assert.Equal([3f, 3f], detached.data<float>());
        detached.Dispose();
    }

    [Fact]
    public void Device_Parse_AcceptsCpuCudaAndIndex()
    {
        Assert.Equal(Device.CPU, Device.Parse("cpu"));
        Assert.Equal(Device.CUDA(0), Device.Parse("cuda"));
        Assert.Equal(Device.CUDA(3), Device.Parse("cuda:3"));
        Assert.Equal("cuda:3", Device.CUDA(3).ToString());
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
    }
}
