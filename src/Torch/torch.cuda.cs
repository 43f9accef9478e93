using static Cluster.Torch.NativeMethods;

namespace Cluster.Torch;

public static partial class torch
{
    /// <summary>CUDA devices, synchronisation, streams and graphs (TorchSharp: torch.cuda).</summary>
    public static class cuda
    {
        public static int device_count() => ct_cuda_device_count();

        public static bool is_available() => device_count() > 0;

        /// <summary>Waits for all work queued on <paramref name="device"/>.</summary>
        public static void synchronize(int device = 0) => Check(ct_cuda_synchronize(device));

        /// <summary>Waits for the device's work when <paramref name="device"/> is CUDA; does nothing on the CPU.</summary>
        public static void synchronize(Device device)
        {
            if (device.IsCuda) synchronize(device.Index);
        }

        public static void empty_cache() => Check(ct_cuda_empty_cache());

        /// <summary>Free and total bytes of <paramref name="device"/> as the driver reports them (TorchSharp/PyTorch: mem_get_info).</summary>
        public static (long free, long total) mem_get_info(int device = 0)
        {
            Check(ct_cuda_mem_get_info(device, out var free, out var total));
            return (free, total);
        }
    }
}
