using Cluster.Torch;

namespace Cluster.Torch.Tests;

public sealed class TensorTests
{
    [Fact]
    public void Tensor_FromHostData_RoundTripsShapeDtypeAndValues()
    {
        using var t = torch.tensor([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        Assert.Equal([2L, 3L], t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal(Device.CPU, t.device);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], t.data<float>());
    }

    [Fact]
    public void Views_TransposeNarrowReshape_FollowRowMajorSemantics()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.arange(0, 6, 1, torch.float32).view(2, 3);   // [[0,1,2],[3,4,5]]
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], t.transpose(0, 1).contiguous().data<float>());
        Assert.Equal([1f, 2f, 4f, 5f], t.narrow(1, 1, 2).contiguous().data<float>());
        Assert.Equal([3L, 2L], t.reshape(3, 2).shape);
        Assert.Equal([3f, 4f, 5f], t.select(0, 1).data<float>());
    }

    [Fact]
    public void CopyTo_NonContiguousViews_CopiesRowMajorAndRefusesWrongSizes()
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.arange(0, 6, 1, torch.float32).view(2, 3);   // [[0,1,2],[3,4,5]]
        Assert.Equal([0f, 3f, 1f, 4f, 2f, 5f], t.transpose(0, 1).data<float>());
        var bytes = new byte[4 * 4];
        t.narrow(1, 1, 2).CopyTo(bytes);
        Assert.Equal([1f, 2f, 4f, 5f], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray());
        var error = Assert.Throws<TorchException>(() => t.CopyTo(new byte[8]));
        Assert.Contains("tensor holds 24 bytes, destination 8", error.Message);
        t.narrow(1, 0, 0).CopyTo([]);   // nothing to copy
    }

    [Fact]
    public void Arithmetic_MatmulAndBroadcasting_MatchHandComputedValues()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor([1f, 2f, 3f, 4f], [2, 2]);
        var b = torch.tensor([5f, 6f, 7f, 8f], [2, 2]);
        Assert.Equal([19f, 22f, 43f, 50f], a.matmul(b).data<float>());
        Assert.Equal([6f, 8f, 10f, 12f], (a + b).data<float>());
        Assert.Equal([2f, 3f, 4f, 5f], (a + 1).data<float>());
        var row = torch.tensor([10f, 20f], [1, 2]);
        Assert.Equal([10f, 40f, 30f, 80f], (a * row).data<float>());
    }

    [Fact]
    public void Reductions_SoftmaxArgmaxTopkSortCumsum_AreCorrect()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor([1f, 3f, 2f], [3]);
        var softmax = x.softmax(0).data<float>();
        var z = MathF.Exp(1) + MathF.Exp(3) + MathF.Exp(2);
        Assert.Equal(MathF.Exp(3) / z, softmax[1], 5);
        Assert.Equal(1, x.argmax().itemLong());
        var (values, indices) = x.topk(2);
        Assert.Equal([3f, 2f], values.data<float>());
        Assert.Equal([1L, 2L], indices.data<long>());
        var (sorted, order) = x.sort(descending: true);
        Assert.Equal([3f, 2f, 1f], sorted.data<float>());
        Assert.Equal([1L, 2L, 0L], order.data<long>());
        Assert.Equal([1f, 4f, 6f], x.cumsum(0).data<float>());
        Assert.Equal(6.0, x.sum().item(), 6);
    }

    [Fact]
    public void Dtypes_ConvertBetweenFloatHalfBFloat16IntAndBool()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor([1.5f, -2f, 0f], [3]);
        Assert.Equal([1.5f, -2f, 0f], x.to(ScalarType.BFloat16).to(ScalarType.Float32).data<float>());
        Assert.Equal([1.5f, -2f, 0f], x.to(ScalarType.Float16).to(ScalarType.Float32).data<float>());
        Assert.Equal([1, -2, 0], x.to(ScalarType.Int32).data<int>());
        Assert.Equal([true, true, false], x.ne(0).data<bool>());
        Assert.Equal(2, ScalarType.BFloat16.ElementSize());
    }

    [Fact]
    public void InPlaceOps_IndexCopyAndIndexAdd_WriteTheSelectedRows()
    {
        using var scope = torch.NewDisposeScope();
        var dst = torch.zeros([4, 2]);
        dst.index_copy_(0, torch.tensor([3L, 1L]), torch.tensor([1f, 2f, 3f, 4f], [2, 2]));
        Assert.Equal([0f, 0f, 3f, 4f, 0f, 0f, 1f, 2f], dst.data<float>());
        dst.index_add_(0, torch.tensor([1L]), torch.ones([1, 2]));
        Assert.Equal([0f, 0f, 4f, 5f, 0f, 0f, 1f, 2f], dst.data<float>());
    }

    [Fact]
    public void Cat_AlongDimension_Concatenates()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor([1f, 2f], [1, 2]);
        var b = torch.tensor([3f, 4f], [1, 2]);
        Assert.Equal([1f, 2f, 3f, 4f], torch.cat([a, b], 0).data<float>());
        Assert.Equal([1L, 4L], torch.cat([a, b], 1).shape);
    }
}
