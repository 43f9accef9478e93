// Host staging for bulk device<->host copies (KV cache export and import): one host buffer, allocated once and
// reused, pinned (page-locked) when the staging's device is CUDA so copies run at full PCIe speed and asynchronously.
// Export gathers rows of several device tensors into one contiguous device buffer and copies it to the host buffer
// with one non-blocking copy; import is the reverse (one copy to the device, then a scatter into the rows). On CUDA
// both run on a side stream of libtorch's pool: the side stream first waits for an event recorded on the caller's
// current stream (the compute stream, so the rows hold what the model wrote), and the caller waits for the side
// stream only, never for the whole device. Everything here uses c10's device-generic streams and events, so a
// CPU-only libtorch compiles it too; the CUDA path is chosen at run time by the staging's device.
#include "common.h"
#include <c10/core/DeviceGuard.h>
#include <c10/core/Event.h>
#include <c10/core/Stream.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <cstring>
#include <memory>

using ct::T;

namespace {
struct Staging {
  at::Device device;
  int64_t capacity;
  at::Tensor host;                  // uint8 [capacity]; pinned when the device is CUDA
  at::Tensor staged;                // uint8 [capacity] on the device (CUDA only, made at first use)
  std::optional<c10::Stream> side;  // the copies' stream (CUDA only)

  Staging(at::Device d, int64_t bytes) : device(d), capacity(bytes) {}
  bool accelerated() const { return side.has_value(); }
};

Staging& S(void* handle) {
  if (handle == nullptr) throw std::invalid_argument("null staging handle");
  return *static_cast<Staging*>(handle);
}

// A view of `buffer` bytes [offset, +like's bytes) shaped and typed like `like` (contiguous).
at::Tensor view_like(const at::Tensor& buffer, int64_t offset, const at::Tensor& like, int64_t rows) {
  auto shape = like.sizes().vec();
  shape[0] = rows;
  int64_t numel = 1;
  for (auto s : shape) numel *= s;
  return buffer.narrow(0, offset, numel * like.element_size()).view(like.scalar_type()).view(shape);
}

// Validates the tensors against the staging and each other; returns the bytes of `rows` rows of all of them.
int64_t check(const Staging& st, at::Tensor** tensors, int count, const int64_t* rows, int64_t n, const char* what) {
  TORCH_CHECK(count >= 1, what, ": no tensors given");
  TORCH_CHECK(rows == nullptr || n >= 1, what, ": ", n, " rows given; give at least one");
  int64_t total = 0;
  for (int i = 0; i < count; i++) {
    const at::Tensor& t = *tensors[i];
    TORCH_CHECK(t.defined() && t.dim() >= 1, what, ": tensor ", i, " has no rows");
    TORCH_CHECK(t.device() == st.device, what, ": tensor ", i, " is on ", t.device(), ", the staging serves ", st.device);
    if (rows != nullptr) {
      for (int64_t r = 0; r < n; r++) {
        TORCH_CHECK(rows[r] >= 0 && rows[r] < t.size(0), what, ": row ", rows[r], " is outside 0 … ", t.size(0) - 1, " of tensor ", i);
      }
    }
    int64_t row_bytes = t.size(0) == 0 ? 0 : t.numel() / t.size(0) * t.element_size();
    total += row_bytes * (rows != nullptr ? n : t.size(0));
  }
  TORCH_CHECK(total <= st.capacity, what, ": ", total, " bytes do not fit the staging's ", st.capacity,
              "; allocate a larger staging or copy fewer rows at a time");
  return total;
}

// Makes `stream` wait for the work queued so far on the caller's current stream of the staging's device.
void after_current(const Staging& st) {
  c10::impl::VirtualGuardImpl impl(st.device.type());
  c10::Event ready(st.device.type());
  ready.record(impl.getStream(st.device));
  ready.block(*st.side);
}

at::Tensor rows_on_device(const Staging& st, const int64_t* rows, int64_t n) {
  auto host = at::empty({n}, at::TensorOptions().dtype(at::kLong).pinned_memory(st.accelerated()));
  std::memcpy(host.data_ptr<int64_t>(), rows, static_cast<size_t>(n) * sizeof(int64_t));
  return st.accelerated() ? host.to(st.device, /*non_blocking=*/true) : host;
}

std::vector<at::Tensor*> tensors_of(void** handles, int count) {
  std::vector<at::Tensor*> v;
  for (int i = 0; i < count; i++) v.push_back(&T(handles[i]));
  return v;
}
}  // namespace

CT_EXPORT int ct_staging_new(int64_t capacity, int dt, int di, void** out) {
  CT_STATUS(
    TORCH_CHECK(capacity >= 1, "staging capacity must be at least 1 byte, not ", capacity);
    auto requested = ct::device(dt, di);
    bool cuda = requested.is_cuda();
    auto device = cuda ? requested : at::Device(at::kCPU);   // CPU tensors carry no index
    auto st = std::make_unique<Staging>(device, capacity);
    st->host = at::empty({capacity}, at::TensorOptions().dtype(at::kByte).pinned_memory(cuda));
    if (cuda) {
      c10::DeviceGuard guard(device);
      c10::impl::VirtualGuardImpl impl(device.type());
      st->side = impl.getStreamFromGlobalPool(device);
    }
    *out = st.release())
}

CT_EXPORT int ct_staging_free(void* handle) {
  CT_STATUS(
    if (handle == nullptr) return 0;
    std::unique_ptr<Staging> st(static_cast<Staging*>(handle));
    if (st->accelerated()) st->side->synchronize())   // copies still queued read or write the buffers
}

CT_EXPORT int ct_staging_info(void* handle, void** host, int64_t* capacity, int* pinned) {
  CT_STATUS(
    auto& st = S(handle);
    *host = st.host.data_ptr();
    *capacity = st.capacity;
    *pinned = st.host.is_pinned() ? 1 : 0)
}

// Export: rows `rows[0..n)` of each tensor (dim 0; every row when rows is null) one tensor after another into the
// host buffer from byte 0; *bytes receives the count. On CUDA the copies are queued on the side stream after
// `after` (an event handle), or, when it is null, after the work queued so far on the caller's current stream unless
// `independent` is set (the rows are known to be complete already: no wait for the compute stream at all); call
// ct_staging_wait before reading.
CT_EXPORT int ct_staging_gather(void* handle, void** sources, int count, const int64_t* rows, int64_t n, void* after, int independent, int64_t* bytes) {
  CT_STATUS(
    auto& st = S(handle);
    auto tensors = tensors_of(sources, count);
    *bytes = check(st, tensors.data(), count, rows, n, "staging gather");
    if (!st.accelerated()) {
      auto index = rows != nullptr ? rows_on_device(st, rows, n) : at::Tensor();
      int64_t offset = 0;
      for (auto* t : tensors) {
        auto out = view_like(st.host, offset, *t, rows != nullptr ? n : t->size(0));
        if (rows != nullptr) at::index_select_out(out, *t, 0, index); else out.copy_(*t);
        offset += out.numel() * out.element_size();
      }
      return 0;
    }
    c10::DeviceGuard guard(st.device);
    if (after != nullptr) static_cast<c10::Event*>(after)->block(*st.side); else if (!independent) after_current(st);
    c10::StreamGuard on_side(*st.side);
    if (rows == nullptr) {   // whole (contiguous) tensors: straight to the host buffer
      int64_t offset = 0;
      for (auto* t : tensors) {
        auto out = view_like(st.host, offset, *t, t->size(0));
        out.copy_(*t, /*non_blocking=*/true);
        offset += out.numel() * out.element_size();
      }
      return 0;
    }
    if (!st.staged.defined()) st.staged = at::empty({st.capacity}, at::TensorOptions().dtype(at::kByte).device(st.device));
    auto index = rows_on_device(st, rows, n);
    int64_t offset = 0;
    for (auto* t : tensors) {
      auto out = view_like(st.staged, offset, *t, n);
      at::index_select_out(out, *t, 0, index);
      offset += out.numel() * out.element_size();
    }
    st.host.narrow(0, 0, *bytes).copy_(st.staged.narrow(0, 0, *bytes), /*non_blocking=*/true))
}

// Waits until the staging's queued copies are done (the side stream only; nothing on CPU).
CT_EXPORT int ct_staging_wait(void* handle) {
  CT_STATUS(auto& st = S(handle); if (st.accelerated()) st.side->synchronize())
}

// Import: the host buffer from byte 0 holds rows for `rows[0..n)` of each tensor, one tensor after another; writes
// them into the tensors. On CUDA: one copy to the device and the scatter on the side stream, which the caller's
// current stream then waits for (later work sees the rows); returns once the rows are written (the side stream is
// synchronised). With `independent` set the rows belong to nobody on the compute stream (a KV reservation): the side
// stream neither waits for the caller's queued work nor makes the caller's stream wait for it, so an import never
// waits for a step; its completion on return is what makes the rows visible to any later kernel.
CT_EXPORT int ct_staging_scatter(void* handle, void** destinations, int count, const int64_t* rows, int64_t n, int independent) {
  CT_STATUS(
    auto& st = S(handle);
    TORCH_CHECK(rows != nullptr, "staging scatter: rows are required");
    auto tensors = tensors_of(destinations, count);
    int64_t bytes = check(st, tensors.data(), count, rows, n, "staging scatter");
    if (!st.accelerated()) {
      auto index = rows_on_device(st, rows, n);
      int64_t offset = 0;
      for (auto* t : tensors) {
        auto in = view_like(st.host, offset, *t, n);
        t->index_copy_(0, index, in);
        offset += in.numel() * in.element_size();
      }
      return 0;
    }
    c10::DeviceGuard guard(st.device);
    if (!independent) after_current(st);   // earlier work that reads these rows comes first
    {
      c10::StreamGuard on_side(*st.side);
      if (!st.staged.defined()) st.staged = at::empty({st.capacity}, at::TensorOptions().dtype(at::kByte).device(st.device));
      st.staged.narrow(0, 0, bytes).copy_(st.host.narrow(0, 0, bytes), /*non_blocking=*/true);
      auto index = rows_on_device(st, rows, n);
      int64_t offset = 0;
      for (auto* t : tensors) {
        auto in = view_like(st.staged, offset, *t, n);
        t->index_copy_(0, index, in);
        offset += in.numel() * in.element_size();
      }
    }
    if (!independent) {
      c10::impl::VirtualGuardImpl impl(st.device.type());
      c10::Event written(st.device.type());
      written.record(*st.side);
      written.block(impl.getStream(st.device));
    }
    st.side->synchronize())
}

// Events: a point on the caller's current stream of a device (null on CPU, where work is synchronous).
CT_EXPORT int ct_event_record_current(int dt, int di, void** out) {
  CT_STATUS(
    auto device = ct::device(dt, di);
    *out = nullptr;
    if (!device.is_cuda()) return 0;
    c10::DeviceGuard guard(device);
    c10::impl::VirtualGuardImpl impl(device.type());
    auto ev = std::make_unique<c10::Event>(device.type());
    ev->record(impl.getStream(device));
    *out = ev.release())
}
CT_EXPORT int ct_event_free(void* ev) { CT_STATUS(delete static_cast<c10::Event*>(ev)) }
