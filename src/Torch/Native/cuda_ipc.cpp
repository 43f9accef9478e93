// CUDA IPC for the KV transfer's same-device path (src/KvTransfer/README.md): device memory one process allocates
// and exports (cudaIpcGetMemHandle) and another opens (cudaIpcOpenMemHandle), synchronous small reads and writes of
// it, and the two bulk copies: packing contiguous tensors into it (sender: a layer slab into a ring slot) and
// scattering from it into rows of tensors (receiver: a slot into the reserved KV blocks). The bulk copies run on a
// side stream from libtorch's pool and are synchronised before returning (the other process reads the bytes once it
// hears of them over gRPC). The region is a raw cudaMalloc allocation, not the caching allocator's, so its handle
// covers exactly it. Without CUDA every function fails with a message naming the build.
// Two GPUs of one host (issue 19): the receiver opens a region another process exported from a GPU other than its own
// under a guard of that GPU (the index at which the receiver sees it, found by UUID; as PyTorch's own CUDA IPC does,
// with cudaIpcMemLazyEnablePeerAccess), so the region's device is the exporter's; the scatter then copies each slice
// to the destinations' GPU before index_copy_ (ct_cuda_can_access_peer is checked first, on the C# side).
#include "common.h"
#ifdef CLUSTER_TORCH_CUDA
#include <cuda_runtime_api.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/core/Event.h>
#include <cstdio>
#include <cstring>
#include <memory>

using ct::T;

namespace {
// A failed call also leaves its error as the thread's last error, which libtorch's next launch check on this thread
// would report as its own (a failed cudaIpcOpenMemHandle surfaced as a KV copy's "invalid device context"): clear it.
void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
  }
}

struct Region {
  void* ptr = nullptr;
  int64_t bytes = 0;
  int device = 0;
  bool owned = false;   // cudaMalloc'd here (cudaFree) or opened (cudaIpcCloseMemHandle)
  std::optional<c10::cuda::CUDAStream> side;
  at::Tensor view;      // uint8 [bytes] over ptr (no ownership)

  void init() {
    side = c10::cuda::getStreamFromPool(false, static_cast<c10::DeviceIndex>(device));
    view = at::from_blob(ptr, {bytes}, at::TensorOptions().dtype(at::kByte).device(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device))));
  }
};

Region& R(void* handle) {
  if (handle == nullptr) throw std::invalid_argument("null CUDA IPC region handle");
  return *static_cast<Region*>(handle);
}

void check_span(const Region& r, int64_t offset, int64_t n, const char* what) {
  TORCH_CHECK(offset >= 0 && n >= 0 && offset + n <= r.bytes, what, ": bytes [", offset, ", +", n, ") are outside the region's ", r.bytes);
}

// A view of region bytes [offset, +like's rows) shaped and typed like `like` with `rows` rows.
at::Tensor view_like(const Region& r, int64_t offset, const at::Tensor& like, int64_t rows) {
  auto shape = like.sizes().vec();
  shape[0] = rows;
  int64_t numel = 1;
  for (auto s : shape) numel *= s;
  check_span(r, offset, numel * like.element_size(), "CUDA IPC view");
  return r.view.narrow(0, offset, numel * like.element_size()).view(like.scalar_type()).view(shape);
}
}  // namespace

// The device's UUID as "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (out: 64 bytes) and its PCI domain:bus:device.
CT_EXPORT int ct_cuda_device_identity(int device, char* uuid, int* pci_domain, int* pci_bus, int* pci_device) {
  CT_STATUS(
    cudaDeviceProp p;
    cuda_check(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
    const auto* u = reinterpret_cast<const unsigned char*>(p.uuid.bytes);
    std::snprintf(uuid, 64, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    *pci_domain = p.pciDomainID; *pci_bus = p.pciBusID; *pci_device = p.pciDeviceID)
}

// Whether `device` and `peer` can read each other's memory (cudaDeviceCanAccessPeer both ways; a device itself: 1).
CT_EXPORT int ct_cuda_can_access_peer(int device, int peer, int* out) {
  CT_STATUS(
    int forward = 1, backward = 1;
    if (device != peer) {
      cuda_check(cudaDeviceCanAccessPeer(&forward, device, peer), "cudaDeviceCanAccessPeer");
      cuda_check(cudaDeviceCanAccessPeer(&backward, peer, device), "cudaDeviceCanAccessPeer");
    }
    *out = (forward != 0 && backward != 0) ? 1 : 0)
}

CT_EXPORT int ct_ipc_alloc(int device, int64_t bytes, void** out) {
  CT_STATUS(
    TORCH_CHECK(bytes >= 1, "CUDA IPC region: ", bytes, " bytes; allocate at least 1");
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(device));
    auto r = std::make_unique<Region>();
    r->bytes = bytes; r->device = device; r->owned = true;
    cuda_check(cudaMalloc(&r->ptr, static_cast<size_t>(bytes)), "cudaMalloc (CUDA IPC region)");
    auto e = cudaMemset(r->ptr, 0, static_cast<size_t>(bytes));
    if (e != cudaSuccess) { cudaFree(r->ptr); cuda_check(e, "cudaMemset"); }
    r->init();
    *out = r.release())
}

CT_EXPORT int ct_ipc_handle(void* region, uint8_t* out, int capacity) {
  CT_STATUS(
    auto& r = R(region);
    TORCH_CHECK(r.owned, "CUDA IPC: only an allocation made here can be exported");
    TORCH_CHECK(capacity >= static_cast<int>(sizeof(cudaIpcMemHandle_t)), "CUDA IPC handle needs ", sizeof(cudaIpcMemHandle_t), " bytes");
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(r.device));
    cudaIpcMemHandle_t h;
    cuda_check(cudaIpcGetMemHandle(&h, r.ptr), "cudaIpcGetMemHandle");
    std::memcpy(out, &h, sizeof(h)))
}

CT_EXPORT int ct_ipc_handle_bytes() { return static_cast<int>(sizeof(cudaIpcMemHandle_t)); }

CT_EXPORT int ct_ipc_open(int device, const uint8_t* handle, int length, int64_t bytes, void** out) {
  CT_STATUS(
    TORCH_CHECK(length == static_cast<int>(sizeof(cudaIpcMemHandle_t)), "CUDA IPC handle of ", length, " bytes; expected ", sizeof(cudaIpcMemHandle_t));
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(device));
    cudaIpcMemHandle_t h;
    std::memcpy(&h, handle, sizeof(h));
    auto r = std::make_unique<Region>();
    r->bytes = bytes; r->device = device; r->owned = false;
    cuda_check(cudaIpcOpenMemHandle(&r->ptr, h, cudaIpcMemLazyEnablePeerAccess), "cudaIpcOpenMemHandle");
    r->init();
    *out = r.release())
}

CT_EXPORT int ct_ipc_free(void* region) {
  CT_STATUS(
    if (region == nullptr) return 0;
    std::unique_ptr<Region> r(static_cast<Region*>(region));
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(r->device));
    r->side->synchronize();
    r->view = at::Tensor();
    cuda_check(r->owned ? cudaFree(r->ptr) : cudaIpcCloseMemHandle(r->ptr), r->owned ? "cudaFree (CUDA IPC region)" : "cudaIpcCloseMemHandle"))
}

// Synchronous small copies (the ring's counters; checksums on request; inline fallbacks).
CT_EXPORT int ct_ipc_read(void* region, int64_t offset, void* dst, int64_t n) {
  CT_STATUS(
    auto& r = R(region);
    check_span(r, offset, n, "CUDA IPC read");
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(r.device));
    cuda_check(cudaMemcpyAsync(dst, static_cast<char*>(r.ptr) + offset, static_cast<size_t>(n), cudaMemcpyDeviceToHost, r.side->stream()), "cudaMemcpyAsync D2H");
    r.side->synchronize())
}
CT_EXPORT int ct_ipc_write(void* region, int64_t offset, const void* src, int64_t n) {
  CT_STATUS(
    auto& r = R(region);
    check_span(r, offset, n, "CUDA IPC write");
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(r.device));
    cuda_check(cudaMemcpyAsync(static_cast<char*>(r.ptr) + offset, src, static_cast<size_t>(n), cudaMemcpyHostToDevice, r.side->stream()), "cudaMemcpyAsync H2D");
    r.side->synchronize())
}

// Sender: contiguous copies of `sources` one after another into the region from `offset`, after the event `after`
// (the slab's gather on the compute stream; null: after the caller's current stream); *bytes receives the count.
CT_EXPORT int ct_ipc_pack(void* region, int64_t offset, void** sources, int count, void* after, int64_t* bytes) {
  CT_STATUS(
    auto& r = R(region);
    TORCH_CHECK(count >= 1, "CUDA IPC pack: no tensors given");
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(r.device));
    if (after != nullptr) static_cast<c10::Event*>(after)->block(*r.side);
    else {
      c10::Event ready(c10::DeviceType::CUDA);
      ready.record(c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(r.device)));
      ready.block(*r.side);
    }
    int64_t pos = offset;
    {
      c10::cuda::CUDAStreamGuard on_side(*r.side);
      for (int i = 0; i < count; i++) {
        auto& t = T(sources[i]);
        TORCH_CHECK(t.is_cuda() && t.device().index() == r.device, "CUDA IPC pack: tensor ", i, " is on ", t.device(), ", the region on cuda:", r.device);
        auto out = view_like(r, pos, t, t.size(0));
        out.copy_(t, /*non_blocking=*/true);
        pos += out.numel() * out.element_size();
      }
    }
    r.side->synchronize();
    *bytes = pos - offset)
}

// Receiver: the region from `offset` holds rows for rows[0..n) of each destination, one tensor after another;
// writes them (index_copy_) on the side stream without waiting for the compute stream (the rows belong to a KV
// reservation nobody computes with) and returns once written. The destinations are all on one GPU: the region's, or
// a peer GPU of this host (the region is then another GPU's memory, opened on that GPU): each slice is first copied
// to the destinations' GPU (ATen's cross-device copy runs on the source GPU's current stream, the region's side
// stream, with a barrier both ways with the destination GPU's current stream, here a side stream of that GPU).
CT_EXPORT int ct_ipc_scatter(void* region, int64_t offset, void** destinations, int count, const int64_t* rows, int64_t n) {
  CT_STATUS(
    auto& r = R(region);
    TORCH_CHECK(count >= 1 && n >= 1, "CUDA IPC scatter: give at least one tensor and one row");
    const at::Device dst = T(destinations[0]).device();
    TORCH_CHECK(dst.is_cuda(), "CUDA IPC scatter: tensor 0 is on ", dst, "; the destinations must be CUDA tensors");
    const bool peer = dst.index() != r.device;
    std::optional<c10::cuda::CUDAStream> dst_side;
    if (peer) dst_side = c10::cuda::getStreamFromPool(false, dst.index());
    c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(r.device));
    {
      c10::cuda::CUDAStreamGuard on_side(*r.side);
      std::optional<c10::cuda::CUDAStreamGuard> on_dst_side;   // the destination GPU's current stream, on a peer
      if (peer) on_dst_side.emplace(*dst_side);
      auto index = at::empty({n}, at::TensorOptions().dtype(at::kLong).pinned_memory(true));
      std::memcpy(index.data_ptr<int64_t>(), rows, static_cast<size_t>(n) * sizeof(int64_t));
      auto device_index = index.to(dst, /*non_blocking=*/true);
      int64_t pos = offset;
      for (int i = 0; i < count; i++) {
        auto& t = T(destinations[i]);
        TORCH_CHECK(t.is_cuda() && t.device() == dst, "CUDA IPC scatter: tensor ", i, " is on ", t.device(), ", tensor 0 on ", dst, " (region on cuda:", r.device, ")");
        for (int64_t k = 0; k < n; k++) TORCH_CHECK(rows[k] >= 0 && rows[k] < t.size(0), "CUDA IPC scatter: row ", rows[k], " is outside tensor ", i);
        auto in = view_like(r, pos, t, n);
        if (peer) t.index_copy_(0, device_index, in.to(dst, /*non_blocking=*/true));
        else t.index_copy_(0, device_index, in);
        pos += in.numel() * in.element_size();
      }
    }
    r.side->synchronize();
    if (peer) dst_side->synchronize())
}
#else
#define CT_NO_CUDA CT_STATUS(throw std::runtime_error("this build of cluster_torch has no CUDA support (libtorch was CPU-only): CUDA IPC is unavailable"))
CT_EXPORT int ct_cuda_device_identity(int, char*, int*, int*, int*) { CT_NO_CUDA }
CT_EXPORT int ct_cuda_can_access_peer(int, int, int*) { CT_NO_CUDA }
CT_EXPORT int ct_ipc_alloc(int, int64_t, void**) { CT_NO_CUDA }
CT_EXPORT int ct_ipc_handle(void*, uint8_t*, int) { CT_NO_CUDA }
CT_EXPORT int ct_ipc_handle_bytes() { return 0; }
CT_EXPORT int ct_ipc_open(int, const uint8_t*, int, int64_t, void**) { CT_NO_CUDA }
CT_EXPORT int ct_ipc_free(void* region) { if (region == nullptr) return 0; CT_NO_CUDA }
CT_EXPORT int ct_ipc_read(void*, int64_t, void*, int64_t) { CT_NO_CUDA }
CT_EXPORT int ct_ipc_write(void*, int64_t, const void*, int64_t) { CT_NO_CUDA }
CT_EXPORT int ct_ipc_pack(void*, int64_t, void**, int, void*, int64_t*) { CT_NO_CUDA }
CT_EXPORT int ct_ipc_scatter(void*, int64_t, void**, int, const int64_t*, int64_t) { CT_NO_CUDA }
#endif
