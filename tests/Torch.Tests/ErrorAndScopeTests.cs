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

    [Fact]
    public void Cuda_OnCpuOnlyBuildOrMissingDevice_ThrowsInsteadOfCrashing()
    {
        if (torch.cuda.is_available()) return; // a GPU machine: covered by tests/reference/run_gpu.sh
        Assert.Throws<TorchException>(() => torch.zeros([1], torch.float32, Device.CUDA()));
        Assert.Throws<TorchException>(() => torch.cuda.synchronize());
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
