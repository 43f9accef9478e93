using System.Runtime.InteropServices;

namespace Cluster.Torch;

/// <summary>The extern "C" surface of Native/ (libcluster_torch.so). Tensor handles are at::Tensor*.</summary>
internal static unsafe partial class NativeMethods
{
    internal const string Lib = "cluster_torch";

    [LibraryImport(Lib)] internal static partial IntPtr ct_last_error();
    [LibraryImport(Lib)] internal static partial IntPtr ct_version();
    [LibraryImport(Lib)] internal static partial int ct_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int ct_get_num_threads();

    [LibraryImport(Lib)] internal static partial void ct_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial int ct_ndim(Tensor t);
    [LibraryImport(Lib)] internal static partial int ct_shape(Tensor t, long* shape);
    [LibraryImport(Lib)] internal static partial int ct_strides(Tensor t, long* strides);
    [LibraryImport(Lib)] internal static partial int ct_dtype(Tensor t);
    [LibraryImport(Lib)] internal static partial int ct_device(Tensor t, out int type, out int index);
    [LibraryImport(Lib)] internal static partial IntPtr ct_data_ptr(Tensor t);

    [LibraryImport(Lib)] internal static partial IntPtr ct_empty(long* shape, int n, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr ct_full(long* shape, int n, double value, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr ct_arange(double start, double end, double step, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial IntPtr ct_from_host(void* data, long* shape, int n, int dtype, int devType, int devIndex);
    [LibraryImport(Lib)] internal static partial int ct_to_host(Tensor t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial IntPtr ct_randn(long* shape, int n, double mean, double std, ulong seed, int dtype);

    [LibraryImport(Lib)] internal static partial IntPtr ct_to(Tensor t, int dtype, int devType, int devIndex, int nonBlocking);
    [LibraryImport(Lib)] internal static partial IntPtr ct_clone(Tensor t);
    [LibraryImport(Lib)] internal static partial IntPtr ct_contiguous(Tensor t);
    [LibraryImport(Lib)] internal static partial IntPtr ct_view(Tensor t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr ct_reshape(Tensor t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr ct_expand(Tensor t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr ct_permute(Tensor t, long* dims, int n);
    [LibraryImport(Lib)] internal static partial IntPtr ct_transpose(Tensor t, long a, long b);
    [LibraryImport(Lib)] internal static partial IntPtr ct_narrow(Tensor t, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial IntPtr ct_select(Tensor t, long dim, long index);
    [LibraryImport(Lib)] internal static partial IntPtr ct_unsqueeze(Tensor t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ct_squeeze(Tensor t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ct_index_select(Tensor t, long dim, Tensor index);
    [LibraryImport(Lib)] internal static partial IntPtr ct_gather(Tensor t, long dim, Tensor index);
    [LibraryImport(Lib)] internal static partial IntPtr ct_cat(IntPtr* tensors, int n, long dim);

    [LibraryImport(Lib)] internal static partial IntPtr ct_binary(int op, Tensor a, Tensor b);
    [LibraryImport(Lib)] internal static partial IntPtr ct_binary_scalar(int op, Tensor a, double s);
    [LibraryImport(Lib)] internal static partial IntPtr ct_unary(int op, Tensor a);
    [LibraryImport(Lib)] internal static partial IntPtr ct_where(Tensor cond, Tensor a, Tensor b);
    [LibraryImport(Lib)] internal static partial IntPtr ct_masked_fill(Tensor t, Tensor mask, double value);
    [LibraryImport(Lib)] internal static partial IntPtr ct_clamp(Tensor t, double lo, double hi);

    [LibraryImport(Lib)] internal static partial IntPtr ct_matmul(Tensor a, Tensor b);
    [LibraryImport(Lib)] internal static partial IntPtr ct_linear(Tensor x, Tensor w, IntPtr b);
    [LibraryImport(Lib)] internal static partial IntPtr ct_reduce(int op, Tensor t, long dim, int keepdim, int all);
    [LibraryImport(Lib)] internal static partial IntPtr ct_softmax(Tensor t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ct_log_softmax(Tensor t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr ct_cumsum(Tensor t, long dim);
    [LibraryImport(Lib)] internal static partial int ct_topk(Tensor t, long k, long dim, int largest, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int ct_sort(Tensor t, long dim, int descending, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int ct_item(Tensor t, out double value);
    [LibraryImport(Lib)] internal static partial int ct_item_long(Tensor t, out long value);

    [LibraryImport(Lib)] internal static partial int ct_copy_(Tensor dst, Tensor src, int nonBlocking);
    [LibraryImport(Lib)] internal static partial int ct_fill_(Tensor t, double value);
    [LibraryImport(Lib)] internal static partial int ct_index_copy_(Tensor dst, long dim, Tensor index, Tensor src);
    [LibraryImport(Lib)] internal static partial int ct_index_add_(Tensor dst, long dim, Tensor index, Tensor src);
    [LibraryImport(Lib)] internal static partial int ct_masked_fill_(Tensor t, Tensor mask, double value);

    [LibraryImport(Lib)] internal static partial IntPtr ct_embedding(Tensor weight, Tensor ids);
    [LibraryImport(Lib)] internal static partial IntPtr ct_rms_norm(Tensor x, Tensor w, double eps);
    [LibraryImport(Lib)] internal static partial int ct_add_rms_norm(Tensor x, Tensor delta, Tensor w, double eps, out IntPtr sum, out IntPtr normed);
    [LibraryImport(Lib)] internal static partial IntPtr ct_rope(Tensor x, Tensor cos, Tensor sin);
    [LibraryImport(Lib)] internal static partial IntPtr ct_swiglu(Tensor x);
    [LibraryImport(Lib)] internal static partial IntPtr ct_sdpa(Tensor q, Tensor k, Tensor v, IntPtr mask, int causal, double scale);
    [LibraryImport(Lib)] internal static partial int ct_varlen_flash_applies(Tensor q);
    [LibraryImport(Lib)] internal static partial IntPtr ct_varlen_attention(Tensor q, Tensor k, Tensor v, Tensor cuQ, Tensor cuK, long* cuQHost, long* cuKHost,
        int chunks, long maxQ, long maxK, double scale, int reference);
    [LibraryImport(Lib)] internal static partial int ct_paged_decode_applies(Tensor q, Tensor k);
    [LibraryImport(Lib)] internal static partial IntPtr ct_paged_decode_attention(Tensor q, Tensor k, Tensor v, Tensor blockTables, Tensor lengths,
        long blockSize, double scale, int splits, int reference);

    [LibraryImport(Lib)] internal static partial int ct_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int ct_cuda_synchronize(int device);
    [LibraryImport(Lib)] internal static partial int ct_cuda_empty_cache();
    [LibraryImport(Lib)] internal static partial int ct_cuda_mem_get_info(int device, out long freeBytes, out long totalBytes);
    [LibraryImport(Lib)] internal static partial int ct_stream_new(int device, out IntPtr stream);
    [LibraryImport(Lib)] internal static partial int ct_stream_current(int device, out IntPtr stream);
    [LibraryImport(Lib)] internal static partial int ct_stream_set_current(IntPtr stream);
    [LibraryImport(Lib)] internal static partial int ct_stream_synchronize(IntPtr stream);
    [LibraryImport(Lib)] internal static partial int ct_stream_free(IntPtr stream);
    [LibraryImport(Lib)] internal static partial int ct_graph_new(out IntPtr graph);
    [LibraryImport(Lib)] internal static partial int ct_graph_capture_begin(IntPtr graph, int device, IntPtr sharePoolWith);
    [LibraryImport(Lib)] internal static partial int ct_graph_capture_end(IntPtr graph);
    [LibraryImport(Lib)] internal static partial int ct_graph_replay(IntPtr graph);
    [LibraryImport(Lib)] internal static partial int ct_graph_free(IntPtr graph);

    [LibraryImport(Lib)] internal static partial int ct_staging_new(long capacity, int devType, int devIndex, out IntPtr staging);
    [LibraryImport(Lib)] internal static partial int ct_staging_free(IntPtr staging);
    [LibraryImport(Lib)] internal static partial int ct_staging_info(IntPtr staging, out IntPtr host, out long capacity, out int pinned);
    [LibraryImport(Lib)] internal static partial int ct_staging_gather(IntPtr staging, IntPtr* sources, int count, long* rows, long n, IntPtr after, int independent, out long bytes);
    [LibraryImport(Lib)] internal static partial int ct_staging_wait(IntPtr staging);
    [LibraryImport(Lib)] internal static partial int ct_staging_scatter(IntPtr staging, IntPtr* destinations, int count, long* rows, long n, int independent);
    [LibraryImport(Lib)] internal static partial int ct_event_record_current(int devType, int devIndex, out IntPtr ev);
    [LibraryImport(Lib)] internal static partial int ct_event_free(IntPtr ev);

    [LibraryImport(Lib)] internal static partial int ct_cuda_device_identity(int device, byte* uuid, out int pciDomain, out int pciBus, out int pciDevice);
    [LibraryImport(Lib)] internal static partial int ct_cuda_can_access_peer(int device, int peer, out int canAccess);
    [LibraryImport(Lib)] internal static partial int ct_ipc_alloc(int device, long bytes, out IntPtr region);
    [LibraryImport(Lib)] internal static partial int ct_ipc_handle(IntPtr region, byte* handle, int capacity);
    [LibraryImport(Lib)] internal static partial int ct_ipc_handle_bytes();
    [LibraryImport(Lib)] internal static partial int ct_ipc_open(int device, byte* handle, int length, long bytes, out IntPtr region);
    [LibraryImport(Lib)] internal static partial int ct_ipc_free(IntPtr region);
    [LibraryImport(Lib)] internal static partial int ct_ipc_read(IntPtr region, long offset, byte* destination, long n);
    [LibraryImport(Lib)] internal static partial int ct_ipc_write(IntPtr region, long offset, byte* source, long n);
    [LibraryImport(Lib)] internal static partial int ct_ipc_pack(IntPtr region, long offset, IntPtr* sources, int count, IntPtr after, out long bytes);
    [LibraryImport(Lib)] internal static partial int ct_ipc_scatter(IntPtr region, long offset, IntPtr* destinations, int count, long* rows, long n);

    /// <summary>Throws the native layer's last error when <paramref name="status"/> is not 0.</summary>
    internal static void Check(int status)
    {
        if (status != 0) throw LastError();
    }

    /// <summary>Returns <paramref name="handle"/>, or throws the native layer's last error when it is null.</summary>
    internal static IntPtr Check(IntPtr handle) => handle != IntPtr.Zero ? handle : throw LastError();

    internal static TorchException LastError() =>
        new(Marshal.PtrToStringUTF8(ct_last_error()) ?? "unknown libtorch error");
}
