using System.Runtime.InteropServices;
using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

/// <summary>Entry points shaped like TorchSharp's <c>torch</c> class: creation, ops, nn.functional, cuda.</summary>
public static partial class torch
{
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float16 = ScalarType.Float16;
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType @bool = ScalarType.Bool;

    /// <summary>libtorch's version string, e.g. "1.13.0" or "2.11.0".</summary>
    public static string __version__ => Marshal.PtrToStringUTF8(ct_version()) ?? "unknown";

    /// <summary>Starts a scope that disposes every tensor created on this thread until it is disposed.</summary>
    public static DisposeScope NewDisposeScope() => new();

    public static void set_num_threads(int threads) => Check(ct_set_num_threads(threads));

    public static int get_num_threads() => ct_get_num_threads();

    public static unsafe Tensor empty(long[] shape, ScalarType dtype = float32, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* p = shape) return new(ct_empty(p, shape.Length, (int)dtype, (int)d.Type, d.Index));
    }

    public static unsafe Tensor full(long[] shape, double value, ScalarType dtype = float32, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* p = shape) return new(ct_full(p, shape.Length, value, (int)dtype, (int)d.Type, d.Index));
    }

    public static Tensor zeros(long[] shape, ScalarType dtype = float32, Device? device = null) => full(shape, 0, dtype, device);

    public static Tensor ones(long[] shape, ScalarType dtype = float32, Device? device = null) => full(shape, 1, dtype, device);

    public static Tensor arange(double start, double end, double step = 1, ScalarType dtype = int64, Device? device = null)
    {
        var d = device ?? Device.CPU;
        return new(ct_arange(start, end, step, (int)dtype, (int)d.Type, d.Index));
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> (row-major) with the given shape, dtype and device.</summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, long[] shape, ScalarType dtype, Device? device = null) where T : unmanaged
    {
        var d = device ?? Device.CPU;
        var expected = shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize();
        if ((long)data.Length * sizeof(T) != expected)
        {
            throw new ArgumentException($"data holds {data.Length * sizeof(T)} bytes; shape [{string.Join(", ", shape)}] of {dtype} needs {expected}", nameof(data));
        }
        fixed (T* src = data)
        fixed (long* p = shape)
        {
            return new(ct_from_host(src, p, shape.Length, (int)dtype, (int)d.Type, d.Index));
        }
    }

    public static Tensor tensor(float[] data, long[] shape, Device? device = null) => tensor<float>(data, shape, float32, device);

    public static Tensor tensor(long[] data, long[] shape, Device? device = null) => tensor<long>(data, shape, int64, device);

    public static Tensor tensor(long[] data, Device? device = null) => tensor<long>(data, [data.Length], int64, device);

    /// <summary>Normal(mean, std) values from a CPU generator seeded with <paramref name="seed"/>, on the CPU.</summary>
    public static unsafe Tensor randn(long[] shape, ulong seed, double mean = 0, double std = 1, ScalarType dtype = float32)
    {
        fixed (long* p = shape) return new(ct_randn(p, shape.Length, mean, std, seed, (int)dtype));
    }

    /// <summary>Copies <paramref name="shape"/>-many <paramref name="dtype"/> elements at host address <paramref name="data"/> into a new tensor on <paramref name="device"/>.</summary>
    public static unsafe Tensor from_host(IntPtr data, long[] shape, ScalarType dtype, Device? device = null)
    {
        var d = device ?? Device.CPU;
        fixed (long* p = shape) return new(ct_from_host((void*)data, p, shape.Length, (int)dtype, (int)d.Type, d.Index));
    }
}
