// Fused neural-network ops (thin wrappers, no model logic) and CUDA streams, graphs, synchronization.
// Version fallbacks live here: scaled_dot_product_attention from 2.1 (scale argument), enable_gqa from 2.5.
#include "common.h"
#ifdef CLUSTER_TORCH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif
#ifdef CLUSTER_TORCH_KERNELS
#include "kernels.h"
#endif
using ct::T;

#define CT_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

CT_EXPORT void* ct_embedding(void* weight, void* ids) { CT_TENSOR(at::embedding(T(weight), T(ids))) }

#ifdef CLUSTER_TORCH_KERNELS
static int kernel_dtype(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return 0;
    case at::kHalf: return 1;
    case at::kBFloat16: return 2;
    default: return -1;
  }
}
// The fused kernels launch on the current device: each launch site holds a CUDAGuard of its tensor's device first (a
// worker on cuda:N, N > 0, runs in a process whose threads' current device is 0, and CUDA refuses a launch into a
// stream of another device than the current one).
static void* stream_of(const at::Tensor& t) { return c10::cuda::getCurrentCUDAStream(t.device().index()).stream(); }
static void check_launch(int status, const char* what) {
  if (status != 0) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(static_cast<cudaError_t>(status)));
}
static bool fusable(const at::Tensor& a, const at::Tensor& b) {
  return a.is_cuda() && kernel_dtype(a) >= 0 && a.scalar_type() == b.scalar_type();
}
#endif

// Llama RMSNorm with Hugging Face's precision: normalise in float32, cast back, then scale by the weight.
static at::Tensor rms_norm_ops(const at::Tensor& in, const at::Tensor& w, double eps) {
  auto xf = in.to(at::kFloat);
  auto var = xf.pow(2).mean(-1, true);
  return w * (xf * at::rsqrt(var + eps)).to(in.scalar_type());
}

// RMSNorm of x + delta (delta optional); returns {x + delta, norm}. One fused kernel on CUDA.
static std::pair<at::Tensor, at::Tensor> add_rms_norm(const at::Tensor& x, const at::Tensor* delta, const at::Tensor& w, double eps) {
#ifdef CLUSTER_TORCH_KERNELS
  if (fusable(x, w) && (!delta || fusable(*delta, x))) {
    auto xc = x.contiguous();
    c10::cuda::CUDAGuard device_guard(xc.device());
    auto wc = w.contiguous();
    auto dc = delta ? delta->contiguous() : at::Tensor();
    auto cols = xc.size(-1);
    TORCH_CHECK(wc.numel() == cols, "rms_norm: weight has ", wc.numel(), " elements, rows have ", cols);
    auto sum = delta ? at::empty_like(xc) : xc;
    auto sq = at::empty(xc.sizes(), xc.options().dtype(at::kFloat));
    check_launch(ct_kernels::rms_square(kernel_dtype(xc), xc.data_ptr(), delta ? dc.data_ptr() : nullptr,
                                        delta ? sum.data_ptr() : nullptr, sq.data_ptr<float>(), xc.numel(), stream_of(xc)), "rms_square kernel");
    // The reduction and rsqrt are ATen's own, on a tensor shaped like Hugging Face's: bit-identical results.
    auto r = at::rsqrt(sq.mean(-1, true) + eps).contiguous();
    auto out = at::empty_like(xc);
    check_launch(ct_kernels::rms_scale(kernel_dtype(xc), sum.data_ptr(), r.data_ptr<float>(), wc.data_ptr(), out.data_ptr(),
                                       xc.numel() / cols, cols, stream_of(xc)), "rms_scale kernel");
    return {sum, out};
  }
#endif
  auto sum = delta ? x + *delta : x;
  return {sum, rms_norm_ops(sum, w, eps)};
}

CT_EXPORT void* ct_rms_norm(void* x, void* w, double eps) { CT_TENSOR(add_rms_norm(T(x), nullptr, T(w), eps).second) }
CT_EXPORT int ct_add_rms_norm(void* x, void* delta, void* w, double eps, void** sum, void** out) {
  CT_STATUS(auto r = add_rms_norm(T(x), &T(delta), T(w), eps); *sum = ct::wrap(r.first); *out = ct::wrap(r.second))
}

// Rotary embedding, "rotate half" layout: x * cos + rotate_half(x) * sin (cos, sin broadcast to x).
static at::Tensor rope(const at::Tensor& in, const at::Tensor& cos, const at::Tensor& sin) {
#ifdef CLUSTER_TORCH_KERNELS
  // x [B, T, N, D] with B and T collapsible, cos/sin holding [B·T, D] contiguously: one kernel.
  if (in.dim() == 4 && fusable(in, cos) && fusable(in, sin) && in.stride(3) == 1 && in.stride(0) == in.size(1) * in.stride(1) &&
      cos.is_contiguous() && sin.is_contiguous() && cos.numel() == in.size(0) * in.size(1) * in.size(3) && sin.numel() == cos.numel()) {
    c10::cuda::CUDAGuard device_guard(in.device());
    auto out = at::empty(in.sizes(), in.options());
    check_launch(ct_kernels::rope(kernel_dtype(in), in.data_ptr(), in.stride(1), in.stride(2), cos.data_ptr(), sin.data_ptr(),
                                  out.data_ptr(), in.size(0) * in.size(1), in.size(2), in.size(3), stream_of(in)), "rope kernel");
    return out;
  }
#endif
  auto half = in.size(-1) / 2;
  auto rotated = at::cat({-in.narrow(-1, half, half), in.narrow(-1, 0, half)}, -1);
  return in * cos + rotated * sin;
}
CT_EXPORT void* ct_rope(void* x, void* cos, void* sin) { CT_TENSOR(rope(T(x), T(cos), T(sin))) }

// silu(x[..., :n]) * x[..., n:] for x = [..., 2n] (a fused gate/up projection).
static at::Tensor swiglu(const at::Tensor& in) {
  auto n = in.size(-1) / 2;
#ifdef CLUSTER_TORCH_KERNELS
  if (fusable(in, in)) {
    auto xc = in.contiguous();
    c10::cuda::CUDAGuard device_guard(xc.device());
    auto sizes = xc.sizes().vec();
    sizes.back() = n;
    auto out = at::empty(sizes, xc.options());
    check_launch(ct_kernels::swiglu(kernel_dtype(xc), xc.data_ptr(), out.data_ptr(), xc.numel() / (2 * n), n, stream_of(xc)), "swiglu kernel");
    return out;
  }
#endif
  return at::silu(in.narrow(-1, 0, n)) * in.narrow(-1, n, n);
}
CT_EXPORT void* ct_swiglu(void* x) { CT_TENSOR(swiglu(T(x))) }

static at::Tensor repeat_kv(const at::Tensor& kv, int64_t groups) {
  return groups == 1 ? kv : kv.repeat_interleave(groups, 1);
}

// Attention as Hugging Face's eager path computes it; the fallback where sdpa is missing.
static at::Tensor attention_reference(const at::Tensor& q, at::Tensor k, at::Tensor v,
                                      const c10::optional<at::Tensor>& mask, bool causal, double scale) {
  auto groups = q.size(1) / k.size(1);
  k = repeat_kv(k, groups);
  v = repeat_kv(v, groups);
  auto scores = at::matmul(q, k.transpose(-2, -1)) * scale;  // [B, H, Tq, Tk]
  if (causal) {
    auto tq = q.size(-2), tk = k.size(-2);
    auto keep = at::ones({tq, tk}, q.options().dtype(at::kBool)).tril(tk - tq);
    scores = scores.masked_fill(keep.logical_not(), -std::numeric_limits<double>::infinity());
  }
  if (mask) {
    scores = mask->scalar_type() == at::kBool
                 ? scores.masked_fill(mask->logical_not(), -std::numeric_limits<double>::infinity())
                 : scores + *mask;
  }
  auto probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs, v);
}

static at::Tensor sdpa(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                       const c10::optional<at::Tensor>& m, bool causal, double scale) {
  auto groups = q.size(1) / k.size(1);
  TORCH_CHECK(q.size(1) == groups * k.size(1), "sdpa: query heads ", q.size(1), " not a multiple of key heads ", k.size(1));
  bool fused = q.device().is_cuda() && (!causal || q.size(2) == k.size(2));
#if CT_TORCH_AT_LEAST(2, 5)
  if (fused) return at::scaled_dot_product_attention(q, k, v, m, 0.0, causal, scale, groups > 1);
#elif CT_TORCH_AT_LEAST(2, 1)
  if (fused) return at::scaled_dot_product_attention(q, repeat_kv(k, groups), repeat_kv(v, groups), m, 0.0, causal, scale);
#else
  (void)fused;
#endif
  return attention_reference(q, k, v, m, causal, scale);
}

// q [B, H, Tq, D], k/v [B, Hkv, Tk, D] (H a multiple of Hkv), optional mask (bool: true = attend, or
// additive) broadcastable to [B, H, Tq, Tk]; causal aligns the last query with the last key.
CT_EXPORT void* ct_sdpa(void* q, void* k, void* v, void* mask, int causal, double scale) {
  CT_TENSOR([&] {
    c10::optional<at::Tensor> m;
    if (mask) m = T(mask);
    return sdpa(T(q), T(k), T(v), m, causal != 0, scale);
  }())
}

// Attention over packed variable-length chunks: q [Nq, H, D] holds chunk c's queries at rows cu_q[c] … cu_q[c+1] − 1,
// k/v [Nk, Hkv, D] its keys at rows cu_k[c] … cu_k[c+1] − 1; each chunk's queries are its last keys' positions
// (causal, aligned bottom-right: query i of Tq sees keys 0 … Tk − Tq + i). Returns [Nq, H, D].
// CUDA half/bfloat16: one flash-attention varlen call (cu_q_dev/cu_k_dev int32 on the device). Elsewhere, or with
// reference set: a loop over the chunks through sdpa (the host copies cu_q_host/cu_k_host give the bounds).
static at::Tensor varlen_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const int64_t* cu_q, const int64_t* cu_k, int chunks, double scale) {
  const c10::optional<at::Tensor> none;
  std::vector<at::Tensor> parts;
  parts.reserve(static_cast<size_t>(chunks));
  for (int c = 0; c < chunks; c++) {
    auto tq = cu_q[c + 1] - cu_q[c], tk = cu_k[c + 1] - cu_k[c];
    TORCH_CHECK(tq >= 1 && tk >= tq, "varlen attention: chunk ", c, " has ", tq, " queries over ", tk, " keys");
    auto qc = q.narrow(0, cu_q[c], tq).transpose(0, 1).unsqueeze(0);  // [1, H, Tq, D]
    auto kc = k.narrow(0, cu_k[c], tk).transpose(0, 1).unsqueeze(0);  // [1, Hkv, Tk, D]
    auto vc = v.narrow(0, cu_k[c], tk).transpose(0, 1).unsqueeze(0);  // [1, Hkv, Tk, D]
    at::Tensor o;
    if (tq == 1) {
      o = sdpa(qc, kc, vc, none, false, scale);
    } else if (tq == tk) {
      o = sdpa(qc, kc, vc, none, true, scale);
    } else {
      auto keep = at::ones({tq, tk}, q.options().dtype(at::kBool)).tril(tk - tq);
      o = sdpa(qc, kc, vc, keep, false, scale);
    }
    parts.push_back(o.squeeze(0).transpose(0, 1));  // [Tq, H, D]
  }
  return parts.size() == 1 ? parts[0].contiguous() : at::cat(parts, 0);
}

static bool flash_varlen_applies(const at::Tensor& q) {
#if CT_TORCH_AT_LEAST(2, 2)
  return q.is_cuda() && (q.scalar_type() == at::kHalf || q.scalar_type() == at::kBFloat16) && q.size(-1) % 8 == 0 && q.size(-1) <= 256;
#else
  (void)q;
  return false;
#endif
}

CT_EXPORT int ct_varlen_flash_applies(void* q) { try { return flash_varlen_applies(T(q)) ? 1 : 0; } CT_CATCH(-1) }

CT_EXPORT void* ct_varlen_attention(void* q, void* k, void* v, void* cu_q_dev, void* cu_k_dev, const int64_t* cu_q_host,
                                    const int64_t* cu_k_host, int chunks, int64_t max_q, int64_t max_k, double scale, int reference) {
  CT_TENSOR([&] {
    auto& qt = T(q);
    auto& kt = T(k);
    auto& vt = T(v);
    TORCH_CHECK(qt.dim() == 3 && kt.dim() == 3 && vt.dim() == 3, "varlen attention: q, k, v must be [rows, heads, dim]");
    TORCH_CHECK(qt.size(1) % kt.size(1) == 0, "varlen attention: query heads ", qt.size(1), " not a multiple of key heads ", kt.size(1));
    TORCH_CHECK(cu_q_host[chunks] == qt.size(0) && cu_k_host[chunks] == kt.size(0), "varlen attention: cumulative lengths do not cover q/k");
#if CT_TORCH_AT_LEAST(2, 2)
    if (!reference && flash_varlen_applies(qt)) {
      auto out = at::_flash_attention_forward(qt.contiguous(), kt.contiguous(), vt.contiguous(), T(cu_q_dev), T(cu_k_dev),
                                              max_q, max_k, 0.0, /*is_causal=*/true, /*return_debug_mask=*/false, scale);
      return std::get<0>(out);
    }
#else
    (void)cu_q_dev; (void)cu_k_dev; (void)max_q; (void)max_k; (void)reference;
#endif
    return varlen_reference(qt, kt, vt, cu_q_host, cu_k_host, chunks, scale);
  }())
}

// ---- CUDA ----------------------------------------------------------------------------------------
CT_EXPORT int ct_cuda_device_count() {
#ifdef CLUSTER_TORCH_CUDA
  try { return static_cast<int>(c10::cuda::device_count()); } CT_CATCH(0)
#else
  return 0;
#endif
}

#ifdef CLUSTER_TORCH_CUDA
struct Graph {
  at::cuda::CUDAGraph graph;
  std::optional<c10::cuda::CUDAStream> previous;
  c10::DeviceIndex device = 0;   // capture_begin and capture_end read the current device: both run under its guard
};
#define CT_CUDA_ONLY(...) CT_STATUS(__VA_ARGS__)
#else
#define CT_CUDA_ONLY(...) CT_STATUS(throw std::runtime_error("this build of cluster_torch has no CUDA support (libtorch was CPU-only)"))
#endif

CT_EXPORT int ct_cuda_synchronize(int device) {
  CT_CUDA_ONLY(c10::cuda::CUDAGuard g(static_cast<c10::DeviceIndex>(device)); c10::cuda::device_synchronize())
}
CT_EXPORT int ct_cuda_empty_cache() { CT_CUDA_ONLY(c10::cuda::CUDACachingAllocator::emptyCache()) }
// Streams: handles are heap-allocated CUDAStream values.
CT_EXPORT int ct_stream_new(int device, void** out) {
  CT_CUDA_ONLY(*out = new c10::cuda::CUDAStream(c10::cuda::getStreamFromPool(false, static_cast<c10::DeviceIndex>(device))))
}
CT_EXPORT int ct_stream_current(int device, void** out) {
  CT_CUDA_ONLY(*out = new c10::cuda::CUDAStream(c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device))))
}
CT_EXPORT int ct_stream_set_current(void* s) { CT_CUDA_ONLY(c10::cuda::setCurrentCUDAStream(*static_cast<c10::cuda::CUDAStream*>(s))) }
CT_EXPORT int ct_stream_synchronize(void* s) { CT_CUDA_ONLY(static_cast<c10::cuda::CUDAStream*>(s)->synchronize()) }
CT_EXPORT int ct_stream_free(void* s) { CT_CUDA_ONLY(delete static_cast<c10::cuda::CUDAStream*>(s)) }

// Graphs: capture runs on a side stream (CUDA forbids capturing the legacy default stream); the ops
// issued from .NET between begin and end are recorded; a graph may share the memory pool of another.
CT_EXPORT int ct_graph_new(void** out) { CT_CUDA_ONLY(*out = new Graph()) }
CT_EXPORT int ct_graph_capture_begin(void* g, int device, void* share_pool_with) {
  CT_CUDA_ONLY(
    auto* graph = static_cast<Graph*>(g);
    auto dev = static_cast<c10::DeviceIndex>(device);
    c10::cuda::CUDAGuard device_guard(dev);
    graph->device = dev;
    c10::cuda::device_synchronize();
    graph->previous = c10::cuda::getCurrentCUDAStream(dev);
    c10::cuda::setCurrentCUDAStream(c10::cuda::getStreamFromPool(false, dev));
    decltype(graph->graph.pool()) pool{0, 0};
    if (share_pool_with) pool = static_cast<Graph*>(share_pool_with)->graph.pool();
    graph->graph.capture_begin(pool, cudaStreamCaptureModeThreadLocal))
}
CT_EXPORT int ct_graph_capture_end(void* g) {
  CT_CUDA_ONLY(
    auto* graph = static_cast<Graph*>(g);
    c10::cuda::CUDAGuard device_guard(graph->device);
    try { graph->graph.capture_end(); } catch (...) { c10::cuda::setCurrentCUDAStream(*graph->previous); throw; }
    c10::cuda::setCurrentCUDAStream(*graph->previous))
}
CT_EXPORT int ct_graph_replay(void* g) { CT_CUDA_ONLY(static_cast<Graph*>(g)->graph.replay()) }
CT_EXPORT int ct_graph_free(void* g) { CT_CUDA_ONLY(delete static_cast<Graph*>(g)) }
